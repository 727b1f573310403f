using System.Numerics;
using System.Runtime.CompilerServices;

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
/// <para>
/// Packing pays for itself through reuse: a packed A block serves every column panel of its task, a packed B panel
/// every row tile. For thin products (n or m within <see cref="GemmBlocking.ThinTiles"/> tiles, e.g. the 30-unit
/// bottleneck of the K-FAC autoencoder) that reuse is absent and packing would cost as much as the FMAs, so the
/// thin operand is read in place by the micro-kernel instead (<see cref="KernelOperands{T}"/>).
/// </para>
/// <para>
/// With a single row block (m &lt;= mc: a conv layer's W cols with 32-64 output channels, K-FAC's 125-row curvature
/// passes, a hidden layer at batch 128) every packed B micro-panel serves one task only, and packing all of B first
/// would write it to memory and read it back, which costs as much as the FMAs when B is large (the ConvNet's 800 x
/// 25088 patch matrix: 80 MB each way). Then each task packs the kc x NR micro-panel it is about to use into a
/// per-thread buffer that stays in L1 (<see cref="GemmBlocking.FuseBPacking"/>; the order OpenBLAS uses for its
/// first A block): the same packed values in the same order, so the same bits.
/// </para>
/// <para>
/// SYRK (LowerOnly) runs the same nest over the tiles that intersect the lower triangle only; tiles straddling the
/// diagonal are computed into a scratch tile and merged below the diagonal, and each task then mirrors its finished
/// block to the upper triangle.
/// </para>
/// </summary>
internal static unsafe class GemmDriver<T, TK> where T : unmanaged, IFloatingPointIeee754<T> where TK : struct, IMicroKernel<T>
{
    /// <summary>Requires M, N, K &gt; 0 and Alpha != 0 (the public entry points handle the trivial cases).</summary>
    public static void Run(in GemmProblem<T> pr, int threads)
    {
        int mr = TK.MR, nr = TK.NR;
        int m = pr.M, n = pr.N, k = pr.K;

        // k blocks of (almost) equal depth, none deeper than the tuned kc.
        int kcMax = Math.Max(8, GemmBlocking.KcFor(nr * sizeof(T)));
        int kBlocks = (k + kcMax - 1) / kcMax;
        int kc = (k + kBlocks - 1) / kBlocks;

        // Column chunks so the packed k x nc B fits the buffer budget.
        long capElems = Math.Max(GemmBlocking.BPanelBytes / sizeof(T), (long)k * nr);
        long nPadAll = RoundUp(n, nr);
        int ncChunk = (long)k * nPadAll <= capElems ? n : (int)Math.Max(nr, capElems / k / nr * nr);

        // Threads: enough work per thread, and no more threads than tasks can use.
        double flops = 2.0 * m * n * k * (pr.LowerOnly ? 0.5 : 1.0);
        threads = (int)Math.Clamp(flops / GemmBlocking.MinFlopsPerThread, 1, threads);

        // A thin op(A) (few rows) uses each packed B panel only a few times: read B in place (full panels).
        bool directB = GemmBlocking.InPlaceThin && !pr.TransB && !pr.LowerOnly && m <= GemmBlocking.ThinTiles * mr;

        // A B operand inside a held constant region is packed once (whole n, one chunk) and read from the cache.
        if (!directB && PackedOperandCache.Active)
        {
            T* cached = PackedOperandCache.Find(pr.B, pr.Ldb, pr.TransB, k, n, nr, kc, out var fill);
            if (cached is not null)
            {
                int panelsAll = (n + nr - 1) / nr;
                if (fill is not null)
                {
                    PackB(pr, cached, 0, n, panelsAll * nr, kc, kBlocks, panelsAll, 0, threads);
                    fill.MarkReady();
                }
                Compute(pr, cached, 0, n, panelsAll, kc, kBlocks, directB: false, threads);
                return;
            }
        }

        // One row block (m <= mc): every packed B micro-panel would serve a single task, so packing all of B first only
        // sends it through memory twice more (written, read back); each task packs its micro-panels just before use instead.
        if (!directB && !pr.LowerOnly && GemmBlocking.FuseBPacking && m <= McMax())
        {
            Compute(pr, null, 0, n, (n + nr - 1) / nr, kc, kBlocks, directB: false, threads, fuseB: true);
            return;
        }

        T* bbuf = PackBuffers.B<T>((long)k * RoundUp(ncChunk, nr));
        for (int jc = 0; jc < n; jc += ncChunk)
        {
            int nc = Math.Min(ncChunk, n - jc);
            int panels = (nc + nr - 1) / nr;
            int ncPad = panels * nr;

            // Pack B (all panels, or only the ragged last one when B is read in place).
            int firstPanel = directB ? (nc % nr == 0 ? panels : panels - 1) : 0;
            int packPanels = panels - firstPanel;
            if (packPanels > 0) PackB(pr, bbuf, jc, nc, ncPad, kc, kBlocks, packPanels, firstPanel, threads);
            Compute(pr, bbuf, jc, nc, panels, kc, kBlocks, directB, threads);
        }
    }

    /// <summary>Packs column panels [firstPanel, firstPanel + panels) of the chunk at jc (all k blocks) into dst.</summary>
    private static void PackB(in GemmProblem<T> pr, T* dst, int jc, int nc, int ncPad, int kc, int kBlocks, int panels, int firstPanel, int threads)
    {
        // A B that is not transposed is packed row by row: each stored row is read once, contiguously, and dealt out to
        // the panels (the panel order reads one NR-wide piece per row, ldb apart: a new page every row or two at
        // ldb >= 512 floats, where the hardware prefetchers stop).
        bool byRows = !pr.TransB && GemmBlocking.PackBByRows;
        var pack = new PackBBody
        {
            Pr = pr, Dst = dst, Jc = jc, Nc = nc, NcPad = ncPad, Kc = kc, Panels = panels, FirstPanel = firstPanel, ByRows = byRows,
        };
        int packItems = byRows ? (pr.K + PackBBody.RowsPerItem - 1) / PackBBody.RowsPerItem : kBlocks * panels;
        CpuParallel.For(0, packItems, pack, grain: Math.Max(1, packItems / (4 * threads)), maxThreads: threads);
    }

    /// <summary>The compute tasks of the chunk at jc against its packed B.</summary>
    private static void Compute(in GemmProblem<T> pr, T* bPacked, int jc, int nc, int panels, int kc, int kBlocks, bool directB, int threads, bool fuseB = false)
    {
        var body = new ComputeBody
        {
            Pr = pr, BPacked = bPacked, Jc = jc, Nc = nc, NcPad = panels * TK.NR, Kc = kc, KBlocks = kBlocks, DirectB = directB, FuseB = fuseB,
        };
        PlanTasks(pr.M, panels, threads, pr.LowerOnly, ref body);
        CpuParallel.For(0, body.TasksM * body.TasksN, body, grain: 1, maxThreads: threads);
    }

    private static long RoundUp(long x, int to) => (x + to - 1) / to * to;

    /// <summary>The most rows of a task's packed A block (a multiple of MR).</summary>
    private static int McMax() => Math.Max(TK.MR, GemmBlocking.McRowsFor(TK.NR * sizeof(T), TK.MR, sizeof(T)) / TK.MR * TK.MR);

    /// <summary>Task grid: row blocks of at most <see cref="GemmBlocking.McRowsFor"/> rows (a multiple of MR), a multiple of the
    /// thread count when there are few of them; column ranges (whole micro-panels) when rows alone cannot feed the threads.
    /// A task spanning only a few column panels reads A in place instead of packing it.</summary>
    private static void PlanTasks(int m, int panels, int threads, bool lower, ref ComputeBody body)
    {
        int mr = TK.MR;
        int mcMax = McMax();
        int mBlocks = (m + mcMax - 1) / mcMax;
        int tm = mBlocks, tn = 1;
        if (threads > 1)
        {
            // A whole number of row blocks per thread (11 equal tasks on 2 threads would idle one for a twelfth).
            if (lower) tm = Math.Max(mBlocks, 4 * threads); // triangular work: finer rows balance better
            else if (mBlocks >= threads) tm = (mBlocks + threads - 1) / threads * threads;
            else tn = Math.Min(panels, (threads + mBlocks - 1) / mBlocks);
        }
        int mc = (int)RoundUp((m + tm - 1) / tm, mr);
        tm = (m + mc - 1) / mc;
        int panelsPerTask = (panels + tn - 1) / tn;
        tn = (panels + panelsPerTask - 1) / panelsPerTask;
        body.Mc = mc;
        body.TasksM = tm;
        body.TasksN = tn;
        body.NcTask = panelsPerTask * TK.NR;
        body.DirectA = GemmBlocking.InPlaceThin && !lower && panelsPerTask <= GemmBlocking.ThinTiles;
    }

    /// <summary>Packs the chunk into the shared B buffer: items are (k block, column panel) micro-panels, or with
    /// <see cref="ByRows"/> runs of <see cref="RowsPerItem"/> stored rows of B, each row's NR-wide pieces written to the
    /// same row of every panel.</summary>
    private struct PackBBody : IRangeBody
    {
        public const int RowsPerItem = 8;
        public GemmProblem<T> Pr;
        public T* Dst;
        public int Jc, Nc, NcPad, Kc, Panels, FirstPanel;
        public bool ByRows;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Invoke(int start, int end)
        {
            if (ByRows) { PackRows(start, end); return; }
            int nr = TK.NR;
            for (int item = start; item < end; item++)
            {
                int kb = item / Panels, q = FirstPanel + item % Panels;
                int p0 = kb * Kc, kcb = Math.Min(Kc, Pr.K - p0);
                T* dst = Dst + (long)p0 * NcPad + (long)q * kcb * nr;
                Packing<T, TK>.PackBPanel(Pr.B, Pr.Ldb, Pr.TransB, p0, kcb, Jc + q * nr, Nc - q * nr, dst);
            }
        }

        private readonly void PackRows(int start, int end)
        {
            int nr = TK.NR;
            for (int p = start * RowsPerItem, pEnd = Math.Min(Pr.K, end * RowsPerItem); p < pEnd; p++)
            {
                int kb = p / Kc, p0 = kb * Kc, kcb = Math.Min(Kc, Pr.K - p0);
                T* row = Dst + (long)p0 * NcPad + (long)(p - p0) * nr;
                T* src = Pr.B + (long)p * Pr.Ldb + Jc;
                for (int q = FirstPanel; q < FirstPanel + Panels; q++)
                {
                    T* d = row + (long)q * kcb * nr, s = src + q * nr;
                    int c = Math.Min(nr, Nc - q * nr);
                    if (c == nr) Unsafe.CopyBlockUnaligned(d, s, (uint)(nr * sizeof(T)));
                    else Packing<T, TK>.CopyPadded(d, s, c, nr);
                }
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
        public bool DirectA, DirectB;
        /// <summary>No shared packed B: each task packs the B micro-panel it is about to use (one row block only).</summary>
        public bool FuseB;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

            T* abuf = DirectA ? null : PackBuffers.A<T>((long)RoundUp(Mc, mr) * Kc);
            T* tmp = stackalloc T[TK.MR * TK.NR];
            T* bLocal = FuseB ? PackBuffers.BPanel<T>((long)Kc * nr) : null;
            for (int kb = 0; kb < KBlocks; kb++)
            {
                int p0 = kb * Kc, kcb = Math.Min(Kc, Pr.K - p0);
                if (!DirectA) Packing<T, TK>.PackA(Pr.A, Pr.Lda, Pr.TransA, i0, i1 - i0, p0, kcb, abuf);
                var blk = new Block { P0 = p0, Kcb = kcb, I0 = i0, I1 = i1, J1 = j1, ABuf = abuf, Beta = kb == 0 ? Pr.Beta : T.One, Tmp = tmp };
                // jr outside ir: the kc x NR micro-panel of B stays in L1 while the A micro-panels of the block stream
                // from L2 (the reverse order, with a column block of B held in L2, measured no faster here).
                for (int jr = j0; jr < j1; jr += nr)
                {
                    T* bPanel;
                    if (FuseB)
                    {
                        // Packed into L1 just before the row tiles read it (OpenBLAS's order for its first A block).
                        Packing<T, TK>.PackBPanel(Pr.B, Pr.Ldb, Pr.TransB, p0, kcb, jr, Jc + Nc - jr, bLocal);
                        bPanel = bLocal;
                    }
                    else bPanel = BPacked + (long)p0 * NcPad + (long)(jr - Jc) * kcb;
                    for (int ir = i0; ir < i1; ir += mr)
                        Tile(ir, jr, blk, bPanel);
                }
            }
            if (Pr.LowerOnly && !Pr.NoMirror) GemmRunner.MirrorBlock(Pr.C, Pr.Ldc, i0, i1, j0, j1);
        }

        /// <summary>The k block a task is working on.</summary>
        private struct Block
        {
            public int P0, Kcb, I0, I1, J1;
            public T* ABuf, Tmp;
            public T Beta;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Tile(int ir, int jr, in Block blk, T* bPanel)
        {
            int mr = TK.MR, nr = TK.NR;
            int nrr = Math.Min(nr, blk.J1 - jr), mrr = Math.Min(mr, blk.I1 - ir);
            KernelOperands<T> x;
            if (!DirectA) { x.A = blk.ABuf + (long)(ir - blk.I0) * blk.Kcb; x.AStep = mr; x.ARow = 0; }
            else if (Pr.TransA) { x.A = Pr.A + (long)blk.P0 * Pr.Lda + ir; x.AStep = Pr.Lda; x.ARow = 0; }
            else { x.A = Pr.A + (long)ir * Pr.Lda + blk.P0; x.AStep = 1; x.ARow = Pr.Lda; }
            if (DirectB && nrr == nr) { x.B = Pr.B + (long)blk.P0 * Pr.Ldb + jr; x.BStep = Pr.Ldb; }
            else { x.B = bPanel; x.BStep = nr; }
            T* cp = Pr.C + (long)ir * Pr.Ldc + jr;
            if (Pr.LowerOnly && jr + nrr - 1 > ir)
            {
                if (jr > ir + mrr - 1) return; // tile entirely above the diagonal
                TK.Tile(mrr, nrr, blk.Kcb, x, blk.Tmp, nr, T.One, T.Zero);
                TileMerge.MergeLower(mrr, nrr, ir, jr, blk.Tmp, nr, cp, Pr.Ldc, Pr.Alpha, blk.Beta);
                return;
            }
            TK.Tile(mrr, nrr, blk.Kcb, x, cp, Pr.Ldc, Pr.Alpha, blk.Beta);
        }
    }
}
