using System.Runtime.InteropServices;

namespace Kfac.Distributed.Mpi;

/// <summary>
/// Finds and loads the system's MPI library at run time and picks its ABI, so that one build of Kfac runs
/// under Open MPI and under MPICH (and MPICH derivatives) without recompiling.
/// <para>Search order: the path in KFAC_MPI_LIBRARY alone if set; otherwise the implementation whose launcher
/// started this process first (Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE, MPICH's Hydra sets PMI_SIZE),
/// then the other. The ABI is read from the library itself: Open MPI exports its predefined handles as
/// globals (ompi_mpi_comm_world), MPICH-ABI libraries export MPIR_Err_create_code.</para>
/// <para>On Linux the library is opened with RTLD_GLOBAL (as mpi4py does): Open MPI loads its components
/// with dlopen, and they resolve libmpi's symbols through the global namespace.</para>
/// </summary>
internal static partial class MpiLibrary
{
    public const string PathVariable = "KFAC_MPI_LIBRARY";

    private static readonly string[] OpenMpiNames =
        ["libmpi.so.40", "/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so", "/usr/lib/aarch64-linux-gnu/openmpi/lib/libmpi.so", "libmpi.so", "libmpi.40.dylib"];

    private static readonly string[] MpichNames =
        ["libmpich.so.12", "libmpich.so", "/usr/lib/x86_64-linux-gnu/libmpich.so.12", "libmpi.so.12", "libmpich.12.dylib"];

    /// <summary>Loads the library and binds its ABI; throws <see cref="MpiNotFoundException"/> naming every
    /// candidate tried when none loads.</summary>
    public static (MpiAbi Abi, string Path) Load()
    {
        var tried = new List<string>();
        foreach (var name in Candidates())
        {
            if (!TryOpen(name, out var handle, out var error))
            {
                tried.Add($"{name} ({error})");
                continue;
            }
            if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _)) return (new OpenMpiAbi(handle, name), name);
            if (NativeLibrary.TryGetExport(handle, "MPIR_Err_create_code", out _)) return (new MpichAbi(handle, name), name);
            tried.Add($"{name} (loaded, but it is neither Open MPI nor an MPICH-ABI library)");
        }
        throw new MpiNotFoundException($"no MPI library could be loaded; tried: {string.Join("; ", tried)}. {MpiNotFoundException.InstallHint}");
    }

    /// <summary>The names to try, in order.</summary>
    public static IReadOnlyList<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } explicitPath) return [explicitPath];
        bool mpichLauncher = Environment.GetEnvironmentVariable("PMI_SIZE") is not null || Environment.GetEnvironmentVariable("PMI_RANK") is not null;
        bool openMpiLauncher = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;
        return mpichLauncher && !openMpiLauncher ? [.. MpichNames, .. OpenMpiNames] : [.. OpenMpiNames, .. MpichNames];
    }

    private static bool TryOpen(string name, out nint handle, out string error)
    {
        error = "";
        if (OperatingSystem.IsLinux())
        {
            handle = LinuxLoader.dlopen(name, LinuxLoader.RtldNow | LinuxLoader.RtldGlobal);
            if (handle != 0) return true;
            error = Marshal.PtrToStringUTF8(LinuxLoader.dlerror()) ?? "not found";
            return false;
        }
        if (NativeLibrary.TryLoad(name, out handle)) return true;
        error = "not found";
        return false;
    }

    private static partial class LinuxLoader
    {
        public const int RtldNow = 2;
        public const int RtldGlobal = 0x100;

        [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint dlopen(string file, int mode);

        [LibraryImport("libc.so.6")]
        public static partial nint dlerror();
    }
}
