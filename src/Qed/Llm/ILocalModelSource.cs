using Microsoft.Extensions.AI;

namespace Qed.Llm;

/// <summary>
/// Opens the models named <c>local:REPO_ID_OR_DIR</c> (an in-process engine, no server, no API key).
/// The core does not know the engine: Qed.Inference implements this on ONNX Runtime and the CLI plugs it
/// into model resolution, so <c>--model local:...</c> works wherever a model config does.
/// </summary>
public interface ILocalModelSource
{
    /// <param name="reference">what follows <c>local:</c> — a Hugging Face repo id (pulled into the HF cache
    /// on first use) or a directory holding an ONNX export.</param>
    Task<IChatClient> OpenAsync(string reference, CancellationToken cancellationToken);
}
