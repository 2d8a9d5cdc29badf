using Qed.Inference.Checkpoints;
using Qed.Training.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Qed.Training.Optimization;

/// <summary>
/// AdamW (decoupled weight decay, Loshchilov &amp; Hutter) written out on tensors so its state is ours to save:
/// the moments go into a safetensors file by parameter name and the step count into the trainer state, which
/// makes a resumed run continue bit for bit. Same update as torch.optim.AdamW (foreach=False, amsgrad=False).
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;
    private readonly Tensor[] _expAvg, _expAvgSq;

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }

    /// <summary>Number of updates taken so far (bias correction uses it).</summary>
    public long Step { get; private set; }

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0.01)
    {
        _parameters = parameters;
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
        _expAvg = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
        _expAvgSq = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>One update with learning rate <paramref name="lr"/>; parameters without a gradient are skipped.</summary>
    public void Update(double lr)
    {
        Step++;
        double bias1 = 1 - Math.Pow(Beta1, Step);
        double bias2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, Step));
        double stepSize = lr / bias1;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i].Parameter;
            var g = p.grad;
            if (g is null) continue;
            if (WeightDecay != 0) p.mul_(1 - lr * WeightDecay);
            _expAvg[i].lerp_(g, 1 - Beta1);
            _expAvgSq[i].mul_(Beta2).addcmul_(g, g, 1 - Beta2);
            var denom = (_expAvgSq[i].sqrt() / bias2Sqrt).add_(Epsilon);
            p.addcdiv_(_expAvg[i], denom, -stepSize);
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in _parameters) p.grad?.zero_();
    }

    /// <summary>Adds the moments to <paramref name="writer"/> as <c>exp_avg.NAME</c> and <c>exp_avg_sq.NAME</c> (float32).</summary>
    public void SaveMoments(SafetensorsWriter writer)
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            TensorConversion.Add(writer, "exp_avg." + _parameters[i].Name, _expAvg[i], TensorDType.F32);
            TensorConversion.Add(writer, "exp_avg_sq." + _parameters[i].Name, _expAvgSq[i], TensorDType.F32);
        }
    }

    /// <summary>Restores moments and the step count saved by <see cref="SaveMoments"/>.</summary>
    public void LoadMoments(SafetensorsCheckpoint file, long step)
    {
        using var _ = no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            using var scope = NewDisposeScope();
            _expAvg[i].copy_(TensorConversion.ReadFloat32(file, "exp_avg." + _parameters[i].Name));
            _expAvgSq[i].copy_(TensorConversion.ReadFloat32(file, "exp_avg_sq." + _parameters[i].Name));
        }
        Step = step;
    }

    public void Dispose()
    {
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
    }
}
