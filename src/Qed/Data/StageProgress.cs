namespace Qed.Data;

/// <summary>How far a data stage has got; <paramref name="Total"/> is null when not known in advance.</summary>
public sealed record StageProgress(string Stage, long Done, long? Total, string? Note = null);
