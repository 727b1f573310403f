using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>
/// Runs the Kfac.Tests.Mpi worker under an MPI implementation's mpirun, with a wall-clock limit (a hang fails
/// the test: the whole process tree is killed), and returns the exit code, the output and the time taken.
/// A test that needs an implementation that is not installed is ignored, naming the packages.
/// </summary>
internal sealed record MpiLauncher(string Name, string Executable, string[] Options)
{
    public static MpiLauncher OpenMpi => Find("Open MPI", "mpirun.openmpi", "Open MPI", "openmpi-bin libopenmpi-dev",
        // Root (containers, CI) needs --allow-run-as-root; 2 cores and up to 3 ranks need --oversubscribe.
        ["--allow-run-as-root", "--oversubscribe"]);

    public static MpiLauncher Mpich => Find("MPICH", "mpirun.mpich", "HYDRA", "mpich libmpich-dev", []);

    public sealed record Result(int ExitCode, string Output, double Seconds)
    {
        /// <summary>The value of key in the "RESULT key=value ..." line.</summary>
        public string Value(string key)
        {
            foreach (var line in Output.Split('\n'))
            {
                int at = line.IndexOf("RESULT ", StringComparison.Ordinal);
                if (at < 0) continue;
                foreach (var field in line[(at + 7)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (field.StartsWith(key + "=", StringComparison.Ordinal)) return field[(key.Length + 1)..].Trim();
            }
            throw new AssertionException($"no RESULT field '{key}' in the output:\n{Output}");
        }

        public double Number(string key) => double.Parse(Value(key), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>mpirun -np <paramref name="ranks"/> dotnet Kfac.Tests.Mpi.dll <paramref name="arguments"/>.</summary>
    public Result Run(int ranks, string arguments, TimeSpan limit)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var o in Options) start.ArgumentList.Add(o);
        start.ArgumentList.Add("-np");
        start.ArgumentList.Add(ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(WorkerPath());
        foreach (var a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(a);
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{Name}: mpirun -np {ranks} ... {arguments} did not finish within {limit.TotalSeconds:F0} s (killed). Output:\n{output}");
        }
        process.WaitForExit(); // drains the redirected streams
        lock (output) return new Result(process.ExitCode, output.ToString(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Debian's suffixed launcher (both implementations side by side), else a plain mpirun whose
    /// --version names the implementation (<paramref name="versionMark"/>).</summary>
    private static MpiLauncher Find(string name, string executable, string versionMark, string packages, string[] options)
    {
        if (OnPath(executable) is { } suffixed) return new MpiLauncher(name, suffixed, options);
        if (OnPath("mpirun") is { } plain && VersionText(plain).Contains(versionMark, StringComparison.OrdinalIgnoreCase))
            return new MpiLauncher(name, plain, options);
        Assert.Ignore($"{name} is not installed ({executable}, or an mpirun that is {name}, is not on PATH); install it with apt-get install {packages} to run the distributed tests on it");
        return null!;
    }

    private static string? OnPath(string executable)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, executable))) return Path.Combine(dir, executable);
        return null;
    }

    private static string VersionText(string launcher)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(launcher, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            if (!p.WaitForExit(10_000)) p.Kill(entireProcessTree: true);
            return text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>The worker's own build output (next to its runtimeconfig), found from this test assembly's
    /// location: .../Kfac.Tests/bin/CONFIG/TFM/ -> .../Kfac.Tests.Mpi/bin/CONFIG/TFM/Kfac.Tests.Mpi.dll.</summary>
    private static string WorkerPath()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = here.Name, config = here.Parent!.Name;
        for (var dir = here; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Kfac.Tests.Mpi", "bin", config, tfm, "Kfac.Tests.Mpi.dll");
            if (File.Exists(candidate)) return candidate;
        }
        var local = Path.Combine(here.FullName, "Kfac.Tests.Mpi.dll");
        if (File.Exists(local) && File.Exists(Path.Combine(here.FullName, "Kfac.Tests.Mpi.runtimeconfig.json"))) return local;
        throw new FileNotFoundException($"the MPI worker Kfac.Tests.Mpi.dll was not found above {here.FullName}; build Kfac.Tests.Mpi ({config})");
    }
}
