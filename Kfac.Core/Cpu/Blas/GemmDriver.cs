using System.Runtime.CompilerServices;
using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>
/// The blocked GEMM of Goto and van de Geijn (2008, "Anatomy of high-performance matrix multiplication", ACM TOMS
/// 34(3)), in the loop order of BLIS (Van Zee and van de Geijn 2015):
/// <code>
/// for jc in n by nc            B chunk: k x nc, packed ONCE into kc x NR micro-panels (all k blocks), shared
///   parallel task (ic, jt):     rows ic .. ic+mc of C, a column range of the chunk
///     for pc in k by kc
///       pack A[ic.., pc..]      mc x kc into MR-wide micro-panels (per-thread buffer, L2 resident)
///       for jr in task cols by NR          B micro-panel kc x NR (L1 resident)
///         for ir in mc by MR               A micro-panel kc x MR streamed from L2
///           micro-kernel: C[ir.., jr..] (MR x NR, in registers) += A_panel * B_panel
/// </code>
/// Packing B for all k blocks up front costs k x nc memory (bounded by <see cref="GemmBlocking.BPanelBytes"/>) but
/// means every element of A and B is packed exactly once and the threads never wait on each other inside a chunk:
/// after the (parallel) B pack, the compute tasks are independent and claimed dynamically, which balances well
/// when another process steals a core. Tasks split M first (each thread packs only its own A rows); when there are
/// too few row blocks for the threads they also split N.
/// </summary>
internal static unsafe class GemmDriver<T, TK> where T : unmanaged, IFloatingPointIeee754<T> where TK : struct, IMicroKernel<T>
{
    /// <summary>Requires M, N, K &gt; 0 and Alpha != 0 (the public entry points handle the trivial cases).</summary>
    public static void Run(in GemmProblem<T> pr, int threads)
    {
        int mr = TK.MR, nr = TK.NR;
        int m = pr.M, n = pr.N, k = pr.K;

        // k blocks of (almost) equal depth, none deeper than the tuned kc.
        int kcMax = Math.Max(8, GemmBlocking.Kc);
        int kBlocks = (k + kcMax - 1) / kcMax;
        int kc = (k + kBlocks - 1) / kBlocks;

        // Column chunks so the packed k x nc B fits the buffer budget.
        long capElems = Math.Max(GemmBlocking.BPanelBytes / sizeof(T), (long)k * nr);
        long nPadAll = RoundUp(n, nr);
        int ncChunk = (long)k * nPadAll <= capElems ? n : (int)Math.Max(nr, capElems / k / nr * nr);
        T* bbuf = PackBuffers.B<T>((long)k * RoundUp(ncChunk, nr));

        // Threads: enough work per thread, and no more threads than tasks can use.
        double flops = 2.0 * m * n * k * (pr.LowerOnly ? 0.5 : 1.0);
        threads = (int)Math.Clamp(flops / GemmBlocking.MinFlopsPerThread, 1, threads);

        for (int jc = 0; jc < n; jc += ncChunk)
        {
            int nc = Math.Min(ncChunk, n - jc);
            int panels = (nc + nr - 1) / nr;
            int ncPad = panels * nr;

            var pack = new PackBBody { Pr = pr, Dst = bbuf, Jc = jc, Nc = nc, NcPad = ncPad, Kc = kc, Panels = panels };
            int packItems = kBlocks * panels;
            CpuParallel.For(0, packItems, pack, grain: Math.Max(1, packItems / (4 * threads)), maxThreads: threads);

            var body = new ComputeBody { Pr = pr, BPacked = bbuf, Jc = jc, Nc = nc, NcPad = ncPad, Kc = kc, KBlocks = kBlocks };
            PlanTasks(m, panels, threads, pr.LowerOnly, ref body);
            CpuParallel.For(0, body.TasksM * body.TasksN, body, grain: 1, maxThreads: threads);
        }
    }

    private static long RoundUp(long x, int to) => (x + to - 1) / to * to;

    /// <summary>Task grid: row blocks of at most <see cref="GemmBlocking.McRows"/> (a multiple of MR), a multiple of the
    /// thread count when there are few of them; column ranges (whole micro-panels) when rows alone cannot feed the threads.</summary>
    private static void PlanTasks(int m, int panels, int threads, bool lower, ref ComputeBody body)
    {
        int mr = TK.MR;
        int mcMax = Math.Max(mr, GemmBlocking.McRows / mr * mr);
        int mBlocks = (m + mcMax - 1) / mcMax;
        int tm = mBlocks, tn = 1;
        if (threads > 1)
        {
            if (lower) tm = Math.Max(mBlocks, 4 * threads); // triangular work: finer rows balance better
            else if (mBlocks >= threads && mBlocks < 4 * threads) tm = (mBlocks + threads - 1) / threads * threads;
            else if (mBlocks < threads) tn = Math.Min(panels, (threads + mBlocks - 1) / mBlocks);
        }
        int mc = (int)RoundUp((m + tm - 1) / tm, mr);
        tm = (m + mc - 1) / mc;
        int panelsPerTask = (panels + tn - 1) / tn;
        tn = (panels + panelsPerTask - 1) / panelsPerTask;
        body.Mc = mc;
        body.TasksM = tm;
        body.TasksN = tn;
        body.NcTask = panelsPerTask * TK.NR;
    }

    /// <summary>Packs micro-panel (k block, column panel) items of the chunk into the shared B buffer.</summary>
    private struct PackBBody : IRangeBody
    {
        public GemmProblem<T> Pr;
        public T* Dst;
        public int Jc, Nc, NcPad, Kc, Panels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Invoke(int start, int end)
        {
            int nr = TK.NR;
            for (int item = start; item < end; item++)
            {
                int kb = item / Panels, q = item % Panels;
                int p0 = kb * Kc, kcb = Math.Min(Kc, Pr.K - p0);
                T* dst = Dst + (long)p0 * NcPad + (long)q * kcb * nr;
                Packing<T, TK>.PackBPanel(Pr.B, Pr.Ldb, Pr.TransB, p0, kcb, Jc + q * nr, Nc - q * nr, dst);
            }
        }
    }

    /// <summary>One task = rows [i0, i1) x columns [j0, j1) of the chunk, all k blocks.</summary>
    private struct ComputeBody : IRangeBody
    {
        public GemmProblem<T> Pr;
        public T* BPacked;
        public int Jc, Nc, NcPad, Kc, KBlocks;
        public int Mc, TasksM, TasksN, NcTask;

        public readonly void Invoke(int start, int end)
        {
            for (int t = start; t < end; t++) RunTask(t);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void RunTask(int t)
        {
            int mr = TK.MR, nr = TK.NR;
            int rb = t / TasksN, cb = t % TasksN;
            if (Pr.LowerOnly) rb = TasksM - 1 - rb; // bottom rows carry the most work: start them first
            int i0 = rb * Mc, i1 = Math.Min(Pr.M, i0 + Mc);
            int j0 = Jc + cb * NcTask, j1 = Math.Min(Jc + Nc, j0 + NcTask);
            if (Pr.LowerOnly) j1 = Math.Min(j1, i1);
            if (i0 >= i1 || j0 >= j1) return;

            T* abuf = PackBuffers.A<T>((long)RoundUp(Mc, mr) * Kc);
            T* tmp = stackalloc T[TK.MR * TK.NR];
            T* c = Pr.C;
            int ldc = Pr.Ldc;
            for (int kb = 0; kb < KBlocks; kb++)
            {
                int p0 = kb * Kc, kcb = Math.Min(Kc, Pr.K - p0);
                Packing<T, TK>.PackA(Pr.A, Pr.Lda, Pr.TransA, i0, i1 - i0, p0, kcb, abuf);
                T beta = kb == 0 ? Pr.Beta : T.One;
                T* bblock = BPacked + (long)p0 * NcPad;
                for (int jr = j0; jr < j1; jr += nr)
                {
                    int nrr = Math.Min(nr, j1 - jr);
                    T* bp = bblock + (long)(jr - Jc) * kcb;
                    for (int ir = i0; ir < i1; ir += mr)
                    {
                        int mrr = Math.Min(mr, i1 - ir);
                        T* ap = abuf + (long)(ir - i0) * kcb;
                        T* cp = c + (long)ir * ldc + jr;
                        if (Pr.LowerOnly && jr + nrr - 1 > ir)
                        {
                            if (jr > ir + mrr - 1) continue; // tile entirely above the diagonal
                            TK.Tile(mrr, nrr, kcb, ap, bp, tmp, nr, T.One, T.Zero);
                            TileMerge.MergeLower(mrr, nrr, ir, jr, tmp, nr, cp, ldc, Pr.Alpha, beta);
                            continue;
                        }
                        TK.Tile(mrr, nrr, kcb, ap, bp, cp, ldc, Pr.Alpha, beta);
                    }
                }
            }
        }
    }
}
