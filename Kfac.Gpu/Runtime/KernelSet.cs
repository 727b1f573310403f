using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Kfac.Gpu.Kernels;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Runtime;

/// <summary>
/// Every kernel of one element type, loaded (compiled for the accelerator) once, when the backend is created.
/// All are explicitly grouped stream kernels on the accelerator's default stream: the backend chooses the group
/// size (<see cref="LaunchPolicy"/>), and the grid-stride loops inside let it cap the number of groups.
/// </summary>
internal sealed class KernelSet<T, TReal>
    where T : unmanaged, INumber<T>
    where TReal : struct, IReal<T>
{
    public KernelSet(Accelerator a)
    {
        FillBlock = a.LoadStreamKernel<ArrayView<T>, BlockArgs, T>(FillBlockKernel.Run);
        MirrorLower = a.LoadStreamKernel<ArrayView<T>, int>(MirrorLowerKernel.Run);
        CopyBlock = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, BlockArgs>(CopyBlockKernel.Run);
        Axpby = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, T, T>(AxpbyKernel.Run);
        Affine = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, T, T>(AffineKernel.Run);
        Unary = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int>(UnaryKernel.Run<T, TReal>);
        UnaryDerivative = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int>(UnaryDerivativeKernel.Run<T, TReal>);
        Binary = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, BinaryArgs>(BinaryKernel.Run);
        Gemm = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, GemmArgs, T, T>(GemmKernel.Run);
        Syrk = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, SyrkArgs, T, T>(SyrkKernel.Run);
        Transpose = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int>(TransposeKernel.Run);
        SumAxis = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, AxisArgs>(SumAxisKernel.Run);
        RowSum = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int, int>(RowSumKernel.Run);
        SumToMid = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, AxisArgs>(SumToMidKernel.Run);
        BroadcastAxis = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, AxisArgs>(BroadcastAxisKernel.Run);
        PartialSum = a.LoadStreamKernel<ArrayView<T>, ArrayView<double>, int, int, int>(PartialSumKernel.Run<T, TReal>);
        PartialDot = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<double>, int>(PartialDotKernel.Run<T, TReal>);
        CountNonFinite = a.LoadStreamKernel<ArrayView<T>, int, ArrayView<double>, int>(CountNonFiniteKernel.Run<T, TReal>);
        LogSoftmax = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int>(LogSoftmaxKernel.Run<T, TReal>);
        LogSoftmaxBackward = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int>(LogSoftmaxBackwardKernel.Run<T, TReal>);
        LogSoftmaxJvp = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int>(LogSoftmaxJvpKernel.Run<T, TReal>);
        LogSumExp = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int>(LogSumExpKernel.Run<T, TReal>);
        LogSumExpBackward = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int>(LogSumExpBackwardKernel.Run<T, TReal>);
        LogSumExpJvp = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int>(LogSumExpJvpKernel.Run<T, TReal>);
        AddToDiagonal = a.LoadStreamKernel<ArrayView<T>, int, T>(AddToDiagonalKernel.Run);
        Symmetrize = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, double, ArrayView<double>>(SymmetrizeKernel.Run<T, TReal, T, TReal>);
        CholeskyDiagonal = a.LoadStreamKernel<ArrayView<T>, int, int, int, ArrayView<double>>(CholeskyDiagonalKernel.Run<T, TReal>);
        CholeskyPanel = a.LoadStreamKernel<ArrayView<T>, int, int, int>(CholeskyPanelKernel.Run);
        TriangularInverseDiagonal = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int>(TriangularInverseDiagonalKernel.Run);
        FillUniform = a.LoadStreamKernel<ArrayView<T>, int, ulong, ulong>(FillUniformKernel.Run<T, TReal>);
        FillNormal = a.LoadStreamKernel<ArrayView<T>, int, ulong, ulong>(FillNormalKernel.Run<T, TReal>);
        LessThan = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int>(LessThanKernel.Run);
        SampleCategorical = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int>(SampleCategoricalKernel.Run);
        Im2Col = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, WindowArgs>(Im2ColKernel.Run);
        Col2Im = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, WindowArgs, int>(Col2ImKernel.Run);
        SwapMiddleAxes = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, SwapArgs>(SwapMiddleAxesKernel.Run);
        BatchedTranspose = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, SwapArgs>(BatchedTransposeKernel.Run);
        MaxPool = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, WindowArgs>(MaxPoolKernel.Run);
        MaxPoolBackward = a.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, WindowArgs, int>(MaxPoolBackwardKernel.Run);
    }

    public Action<KernelConfig, ArrayView<T>, BlockArgs, T> FillBlock { get; }
    public Action<KernelConfig, ArrayView<T>, int> MirrorLower { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, BlockArgs> CopyBlock { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, T, T> Axpby { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, T, T> Affine { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int> Unary { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int> UnaryDerivative { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, BinaryArgs> Binary { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, GemmArgs, T, T> Gemm { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, SyrkArgs, T, T> Syrk { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int> Transpose { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, AxisArgs> SumAxis { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int, int> RowSum { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, AxisArgs> SumToMid { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, AxisArgs> BroadcastAxis { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<double>, int, int, int> PartialSum { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<double>, int> PartialDot { get; }
    public Action<KernelConfig, ArrayView<T>, int, ArrayView<double>, int> CountNonFinite { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int> LogSoftmax { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int> LogSoftmaxBackward { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int> LogSoftmaxJvp { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int> LogSumExp { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int> LogSumExpBackward { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int> LogSumExpJvp { get; }
    public Action<KernelConfig, ArrayView<T>, int, T> AddToDiagonal { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, double, ArrayView<double>> Symmetrize { get; }
    public Action<KernelConfig, ArrayView<T>, int, int, int, ArrayView<double>> CholeskyDiagonal { get; }
    public Action<KernelConfig, ArrayView<T>, int, int, int> CholeskyPanel { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, int, int> TriangularInverseDiagonal { get; }
    public Action<KernelConfig, ArrayView<T>, int, ulong, ulong> FillUniform { get; }
    public Action<KernelConfig, ArrayView<T>, int, ulong, ulong> FillNormal { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int> LessThan { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int> SampleCategorical { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, WindowArgs> Im2Col { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, WindowArgs, int> Col2Im { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, SwapArgs> SwapMiddleAxes { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, SwapArgs> BatchedTranspose { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, WindowArgs> MaxPool { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, WindowArgs, int> MaxPoolBackward { get; }
}
