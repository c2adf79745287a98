namespace DeepSeek.Lang.Compiler.Shapes;

/// <summary>Element types of tensors (language.md §2).</summary>
public enum DType : byte
{
    Bool,
    I8,
    I32,
    I64,
    F16,
    BF16,
    F32,
    F64,
}

public static class DTypes
{
    public static string Name(this DType t) => t switch
    {
        DType.Bool => "bool",
        DType.I8 => "i8",
        DType.I32 => "i32",
        DType.I64 => "i64",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        DType.F32 => "f32",
        DType.F64 => "f64",
        _ => "?",
    };

    public static bool TryParse(string name, out DType type)
    {
        switch (name)
        {
            case "bool": type = DType.Bool; return true;
            case "i8": type = DType.I8; return true;
            case "i32": type = DType.I32; return true;
            case "i64": type = DType.I64; return true;
            case "f16": type = DType.F16; return true;
            case "bf16": type = DType.BF16; return true;
            case "f32": type = DType.F32; return true;
            case "f64": type = DType.F64; return true;
            default: type = default; return false;
        }
    }

    public static int ByteSize(this DType t) => t switch
    {
        DType.Bool or DType.I8 => 1,
        DType.F16 or DType.BF16 => 2,
        DType.I32 or DType.F32 => 4,
        _ => 8,
    };

    public static bool IsFloat(this DType t) => t is DType.F16 or DType.BF16 or DType.F32 or DType.F64;

    public static bool IsInteger(this DType t) => t is DType.I8 or DType.I32 or DType.I64;

    public static IEnumerable<DType> All => new[] { DType.Bool, DType.I8, DType.I32, DType.I64, DType.F16, DType.BF16, DType.F32, DType.F64 };
}
