using System.Diagnostics;
using Kfac.Autodiff;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using Kfac.Training;

namespace Kfac.Bench;

/// <summary>
/// `step --phases`: a first-order step taken apart as <see cref="FirstOrderStep.Step"/> runs it (zero the gradients,
/// forward, loss, backward, the finiteness check, the optimizer's update), each phase timed over the steps and reported
/// as ms per step, with the forward's dense layers and the rest of its modules timed one module at a time (the GEMM of a
/// dense layer with its bias against the elementwise modules between them). Where the time over the GEMM bound goes.
/// </summary>
internal static class FirstOrderPhases
{
    public static Dictionary<string, object> Measure(FirstOrderStep step, ILoss loss, Tensor x, Tensor t, int warmup, int steps)
    {
        string[] names = ["zero_grad", "forward", "loss", "backward", "finite_check", "update"];
        var ticks = new long[names.Length];
        long denseTicks = 0, otherModuleTicks = 0;
        var layers = step.Model is Sequential s ? s.Layers.ToList() : [step.Model];
        for (int k = -warmup; k < steps; k++)
        {
            using var scope = TensorScope.Begin();
            bool timed = k >= 0;
            long t0 = Stopwatch.GetTimestamp();
            step.Optimizer.ZeroGrad();
            long t1 = Stopwatch.GetTimestamp();
            var y = x;
            foreach (var m in layers)
            {
                long m0 = Stopwatch.GetTimestamp();
                y = m.Forward(y);
                long elapsed = Stopwatch.GetTimestamp() - m0;
                if (!timed) continue;
                if (m is Dense) denseTicks += elapsed;
                else otherModuleTicks += elapsed;
            }
            long t2 = Stopwatch.GetTimestamp();
            var value = loss.Value(y, t);
            double l = value.Item();
            long t3 = Stopwatch.GetTimestamp();
            value.Backward();
            long t4 = Stopwatch.GetTimestamp();
            bool finite = double.IsFinite(l) && step.Optimizer.GradientsAreFinite();
            long t5 = Stopwatch.GetTimestamp();
            if (finite) step.Optimizer.Step();
            long t6 = Stopwatch.GetTimestamp();
            if (!timed) continue;
            long[] marks = [t0, t1, t2, t3, t4, t5, t6];
            for (int p = 0; p < names.Length; p++) ticks[p] += marks[p + 1] - marks[p];
        }
        double Ms(long tk) => Math.Round(1000.0 * tk / Stopwatch.Frequency / steps, 3);
        var fields = new Dictionary<string, object>();
        double total = 0;
        for (int p = 0; p < names.Length; p++)
        {
            fields["ms_" + names[p]] = Ms(ticks[p]);
            total += Ms(ticks[p]);
        }
        fields["ms_forward_dense_layers"] = Ms(denseTicks);
        fields["ms_forward_other_modules"] = Ms(otherModuleTicks);
        fields["ms_phases_total"] = Math.Round(total, 3);
        return fields;
    }
}
