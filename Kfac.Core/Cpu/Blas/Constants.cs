namespace Kfac.Cpu.Blas;

/// <summary>A compile-time integer for generic specialisation: the JIT folds <c>TR.Value</c> to a constant in each
/// instantiation over a struct, so one generic micro-kernel body yields a kernel per row count.</summary>
internal interface IConst
{
    static abstract int Value { get; }
}

internal struct R1 : IConst { public static int Value => 1; }
internal struct R2 : IConst { public static int Value => 2; }
internal struct R3 : IConst { public static int Value => 3; }
internal struct R4 : IConst { public static int Value => 4; }
internal struct R5 : IConst { public static int Value => 5; }
internal struct R6 : IConst { public static int Value => 6; }
internal struct R7 : IConst { public static int Value => 7; }
internal struct R8 : IConst { public static int Value => 8; }
internal struct R9 : IConst { public static int Value => 9; }
internal struct R10 : IConst { public static int Value => 10; }
internal struct R11 : IConst { public static int Value => 11; }
internal struct R12 : IConst { public static int Value => 12; }
internal struct R13 : IConst { public static int Value => 13; }
internal struct R14 : IConst { public static int Value => 14; }

internal struct V1 : IConst { public static int Value => 1; }
internal struct V2 : IConst { public static int Value => 2; }

internal struct M0 : IConst { public static int Value => 0; }
internal struct M1 : IConst { public static int Value => 1; }
