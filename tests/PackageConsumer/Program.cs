using Kfac.Data;
using Kfac.Gpu;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Onnx;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;

// Trains a tiny MLP with K-FAC through the packages, saves and reloads it, exports ONNX, and runs one product on
// the ILGPU CPU accelerator from Kfac.Gpu. Exit code 0 only if every check holds.
var rng = new Random(0);
var x = new double[400, 2];
var y = new int[400];
for (int i = 0; i < 400; i++)
{
    x[i, 0] = rng.NextDouble() * 2 - 1;
    x[i, 1] = rng.NextDouble() * 2 - 1;
    y[i] = x[i, 0] * x[i, 1] > 0 ? 1 : 0;   // XOR of the signs: needs the hidden layer
}
var data = LabeledData.FromArrays(x, y);
var model = Mlp.Create([2, 16, 2], Activation.Tanh, seed: 0);
var step = new KfacStep(model, new KfacOptimizer(model.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1, InverseInterval = 5 }));
using var loader = new DataLoader(data, batchSize: 100, shuffle: true, seed: 0);
for (int epoch = 0; epoch < 40; epoch++)
    foreach (var batch in loader.Epoch())
    {
        using var scope = TensorScope.Begin();
        step.Step(batch.Inputs, SoftmaxOps.OneHot(batch.Labels!, 2));
    }
double accuracy = model.Accuracy(data);
Console.WriteLine($"K-FAC XOR accuracy {accuracy:F3}");

string dir = Path.Combine(Path.GetTempPath(), "kfac-package-consumer-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
try
{
    model.SaveWeights(Path.Combine(dir, "xor.safetensors"));
    var copy = Mlp.Create([2, 16, 2], Activation.Tanh, seed: 1);
    copy.LoadWeights(Path.Combine(dir, "xor.safetensors"));
    bool reloaded = copy.PredictClasses(data.Inputs).SequenceEqual(model.PredictClasses(data.Inputs));
    OnnxExport.Save(model, Path.Combine(dir, "xor.onnx"));
    long onnxBytes = new FileInfo(Path.Combine(dir, "xor.onnx")).Length;

    GpuDevices.Register();
    using var a = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2).To(Device.IlgpuCpu());
    var product = a.MatMul(a).ToArray<float>();
    bool gpu = product.SequenceEqual(new float[] { 7, 10, 15, 22 });
    Console.WriteLine($"reloaded weights agree: {reloaded}; onnx {onnxBytes} bytes; ILGPU CPU accelerator matmul: {gpu}");
    return accuracy > 0.9 && reloaded && onnxBytes > 0 && gpu ? 0 : 1;
}
finally
{
    Directory.Delete(dir, recursive: true);
}
