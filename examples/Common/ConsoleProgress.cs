using System.Globalization;
using Kfac.Training;
using Spectre.Console;

namespace Kfac.Examples;

/// <summary>
/// Training progress for a terminal: a live progress bar with loss and throughput when the output is an
/// interactive terminal (Spectre.Console), a plain line every few seconds when it is redirected (logs, CI).
/// </summary>
public sealed class ConsoleProgress : IProgressDisplay, IDisposable
{
    private readonly bool _interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    private readonly double _lineEverySeconds;
    private double _nextLine;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private Task? _display;
    private readonly TaskCompletionSource _done = new();

    public ConsoleProgress(string title, double lineEverySeconds = 5)
    {
        _lineEverySeconds = lineEverySeconds;
        if (!_interactive) return;
        var started = new TaskCompletionSource();
        _display = AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                _context = ctx;
                _task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                started.SetResult();
                await _done.Task;
            });
        started.Task.Wait();
    }

    public void Update(in TrainingProgress p)
    {
        if (_interactive)
        {
            _task!.Description = Markup.Escape(Describe(p));
            _task.Value = p.Fraction;
            return;
        }
        if (p.Seconds >= _nextLine)
        {
            Console.WriteLine(Describe(p));
            _nextLine = p.Seconds + _lineEverySeconds;
        }
    }

    public void Complete(in TrainingProgress p)
    {
        if (_interactive)
        {
            _task!.Description = Markup.Escape(Describe(p));
            _task.Value = 1;
            _done.TrySetResult();
            _display!.Wait();
        }
        Console.WriteLine("done: " + Describe(p));
    }

    private static string Describe(in TrainingProgress p)
    {
        var s = string.Create(CultureInfo.InvariantCulture,
            $"{p.Optimizer} step {p.Step} epoch {p.Epoch} {p.Seconds:F0}s loss {p.RecentLoss:G5} {p.ExamplesPerSecond:F0} ex/s");
        if (p.LastEvaluation is { Count: > 0 } e)
            s += " | " + string.Join(" ", e.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:G5}")));
        return s;
    }

    public void Dispose()
    {
        _done.TrySetResult();
        _display?.Wait();
    }
}
