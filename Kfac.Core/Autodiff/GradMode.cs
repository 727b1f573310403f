namespace Kfac.Autodiff;

/// <summary>
/// Whether ops record the graph for reverse mode. Off inside <c>using (GradMode.Disable())</c> (optimizer
/// updates, evaluation, statistics). Forward-mode tangents are independent of this switch.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    /// <summary>True unless some <see cref="Disable"/> guard on this thread is still alive.</summary>
    public static bool IsEnabled => _disabledDepth == 0;

    /// <summary>Stops graph recording on this thread until the returned guard is disposed (guards nest).</summary>
    public static Guard Disable()
    {
        _disabledDepth++;
        return new Guard();
    }

    /// <summary>Returned by <see cref="Disable"/>; disposing it re-enables recording (when no outer guard remains).</summary>
    public readonly struct Guard : IDisposable
    {
        /// <summary>Ends this guard's disabled region.</summary>
        public void Dispose() => _disabledDepth--;
    }
}
