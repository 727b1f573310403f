using System.Diagnostics;
using System.Globalization;

namespace Kfac.Bench;

/// <summary>
/// The baseline of `step --baseline X --baseline-process`: the baseline model lives in a child process (this same
/// program, `step --serve-baseline`), and the parent asks it for one round of steps at a time, so the rounds still
/// alternate in time (the shared machine's load falls on both alike) but the two models never share a process.
/// With both in one process, each side runs slower than alone (measured: K-FAC against a second K-FAC copy ~10%,
/// SGD against SGD ~6%), which biases an in-process ratio; separate processes remove that.
/// The child may also be another framework's reference (`--baseline-command`, <see cref="External"/>), so a ratio
/// against PyTorch alternates in rounds of a few steps too instead of whole processes one after another.
/// Protocol on the child's stdin/stdout: it prints "ready" after its warm-up; "run K" makes it time K steps and
/// print their milliseconds on one line; "quit" ends it.
/// </summary>
internal sealed class BaselineProcess : IDisposable
{
    private readonly Process _child;

    public BaselineProcess(IEnumerable<string> stepArguments) : this(OwnStepServer(stepArguments)) { }

    private BaselineProcess(ProcessStartInfo start)
    {
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        _child = Process.Start(start) ?? throw new InvalidOperationException($"the baseline process '{start.FileName}' did not start");
        Expect("ready");
    }

    /// <summary>Another program as the baseline (`step --baseline-command "PROGRAM ARGS..."`, e.g. the PyTorch reference
    /// scripts' `--serve` mode), speaking the same protocol; the command line is split on spaces (no shell, no quoting).</summary>
    public static BaselineProcess External(string commandLine)
    {
        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) throw new ArgumentException("--baseline-command is empty", nameof(commandLine));
        var start = new ProcessStartInfo { FileName = words[0] };
        foreach (var w in words.Skip(1)) start.ArgumentList.Add(w);
        return new BaselineProcess(start);
    }

    /// <summary>This same program as `step ... --serve-baseline`.</summary>
    private static ProcessStartInfo OwnStepServer(IEnumerable<string> stepArguments)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path to start the baseline process"),
        };
        // Under `dotnet Kfac.Bench.dll` the process is the dotnet host: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
            start.ArgumentList.Add(typeof(BaselineProcess).Assembly.Location);
        start.ArgumentList.Add("step");
        foreach (var a in stepArguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--serve-baseline");
        return start;
    }

    /// <summary>Times <paramref name="steps"/> baseline steps in the child; their milliseconds.</summary>
    public double[] RunRound(int steps)
    {
        _child.StandardInput.WriteLine($"run {steps}");
        _child.StandardInput.Flush();
        var line = ReadLine();
        var times = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        if (times.Length != steps) throw new InvalidOperationException($"baseline process answered '{line}' to 'run {steps}'");
        return times;
    }

    private void Expect(string word)
    {
        var line = ReadLine();
        if (line != word) throw new InvalidOperationException($"baseline process said '{line}', expected '{word}'");
    }

    private string ReadLine() =>
        _child.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the baseline process ended (exit code {(_child.HasExited ? _child.ExitCode : -1)})");

    /// <summary>The child's side: answer "run K" with K step times until "quit" or end of input.</summary>
    public static void Serve(Func<int, double[]> runSteps)
    {
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        string? line;
        while ((line = Console.In.ReadLine()) is not null && line != "quit")
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0] != "run" || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 1)
                throw new InvalidOperationException($"baseline process: unknown request '{line}'");
            Console.Out.WriteLine(string.Join(" ", runSteps(k).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            Console.Out.Flush();
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_child.HasExited)
            {
                _child.StandardInput.WriteLine("quit");
                _child.StandardInput.Flush();
                if (!_child.WaitForExit(10_000)) _child.Kill();
            }
        }
        finally
        {
            _child.Dispose();
        }
    }
}
