namespace Qed;

/// <summary>
/// A failure the user can fix: bad configuration, bad input, a missing key or file.
/// The CLI prints its message as the one-line reason and exits non-zero; the message should name
/// the file, line and field where there is one.
/// </summary>
public class QedException : Exception
{
    public QedException(string message) : base(message) { }
    public QedException(string message, Exception inner) : base(message, inner) { }
}
