namespace Kfac.Autodiff;

/// <summary>
/// Whether ops record the graph for reverse mode. Off inside <c>using (GradMode.Disable())</c> (optimizer
/// updates, evaluation, statistics). Forward-mode tangents are independent of this switch.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    public static bool IsEnabled => _disabledDepth == 0;

    public static Guard Disable()
    {
        _disabledDepth++;
        return new Guard();
    }

    public readonly struct Guard : IDisposable
    {
        public void Dispose() => _disabledDepth--;
    }
}
