using ILGPU.Algorithms;

namespace Kfac.Gpu.Arithmetic;

/// <summary>
/// The element-type-specific operations a kernel needs beyond +, -, *, / and comparisons (which come from
/// <see cref="System.Numerics.INumber{T}"/>): conversions, finiteness and the transcendental functions. Kernels
/// take it as a struct type argument (<c>Kernel&lt;T, TReal&gt;</c>, called as <c>default(TReal).Exp(x)</c>) so
/// ILGPU specialises and inlines it; there is no dispatch at run time.
/// </summary>
internal interface IReal<T> where T : unmanaged
{
    /// <summary>True for float32 (a constant after specialisation).</summary>
    bool IsSinglePrecision { get; }

    T FromDouble(double x);

    double ToDouble(T x);

    bool IsFinite(T x);

    bool IsNaN(T x);

    T Exp(T x);

    T Log(T x);

    T Tanh(T x);

    T Sigmoid(T x);

    T Softplus(T x);

    T Sqrt(T x);
}

/// <summary>float32: the transcendental functions are evaluated in double (see <see cref="DeviceMath"/>) and rounded once.</summary>
internal readonly struct Real32 : IReal<float>
{
    public bool IsSinglePrecision => true;

    public float FromDouble(double x) => (float)x;

    public double ToDouble(float x) => x;

    public bool IsFinite(float x) => DeviceMath.IsFinite(x);

    public bool IsNaN(float x) => DeviceMath.IsNaN(x);

    public float Exp(float x) => (float)DeviceMath.Exp(x);

    public float Log(float x) => (float)DeviceMath.Log(x);

    public float Tanh(float x) => (float)DeviceMath.Tanh(x);

    public float Sigmoid(float x) => (float)DeviceMath.Sigmoid(x);

    public float Softplus(float x) => (float)DeviceMath.Softplus(x);

    // sqrt.rn.f32 on PTX: correctly rounded.
    public float Sqrt(float x) => XMath.Sqrt(x);
}

internal readonly struct Real64 : IReal<double>
{
    public bool IsSinglePrecision => false;

    public double FromDouble(double x) => x;

    public double ToDouble(double x) => x;

    public bool IsFinite(double x) => DeviceMath.IsFinite(x);

    public bool IsNaN(double x) => DeviceMath.IsNaN(x);

    public double Exp(double x) => DeviceMath.Exp(x);

    public double Log(double x) => DeviceMath.Log(x);

    public double Tanh(double x) => DeviceMath.Tanh(x);

    public double Sigmoid(double x) => DeviceMath.Sigmoid(x);

    public double Softplus(double x) => DeviceMath.Softplus(x);

    // sqrt.rn.f64 on PTX: correctly rounded.
    public double Sqrt(double x) => XMath.Sqrt(x);
}
