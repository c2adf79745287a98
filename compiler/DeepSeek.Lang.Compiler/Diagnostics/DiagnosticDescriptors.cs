namespace DeepSeek.Lang.Compiler.Diagnostics;

/// <summary>
/// Every diagnostic the compiler can report, in one place. Ranges (language.md §10): DSK0xxx syntax,
/// DSK1xxx names and binding, DSK2xxx types and shapes, DSK3xxx plans, DSK4xxx lowering and code
/// generation, DSK9xxx internal. Codes are never reused for a different meaning.
/// </summary>
public static class DiagnosticDescriptors
{
    private static DiagnosticDescriptor Error(string code, string title, string format) =>
        new(code, DiagnosticSeverity.Error, title, format);

    private static DiagnosticDescriptor Warning(string code, string title, string format) =>
        new(code, DiagnosticSeverity.Warning, title, format);

    // ---------------------------------------------------------------- DSK0xxx syntax

    public static readonly DiagnosticDescriptor UnexpectedToken =
        Error("DSK0001", "Unexpected token", "expected {0}, found {1}");

    public static readonly DiagnosticDescriptor UnexpectedCharacter =
        Error("DSK0002", "Unexpected character", "unexpected character {0}");

    public static readonly DiagnosticDescriptor UnterminatedString =
        Error("DSK0003", "Unterminated string", "string literal is not closed before the end of the line");

    public static readonly DiagnosticDescriptor UnterminatedComment =
        Error("DSK0004", "Unterminated comment", "block comment is not closed with */ before the end of the file");

    public static readonly DiagnosticDescriptor NestingTooDeep =
        Error("DSK0005", "Nesting too deep", "nesting is {0} levels deep here (brackets, blocks and else-if chains count); the limit is {1}");

    public static readonly DiagnosticDescriptor IntegerTooLarge =
        Error("DSK0006", "Integer literal too large", "integer literal {0} does not fit in 64 bits");

    public static readonly DiagnosticDescriptor InvalidEscape =
        Error("DSK0007", "Invalid escape sequence", "unknown escape sequence '\\{0}' in string; use \\\", \\\\, \\n or \\t");

    public static readonly DiagnosticDescriptor FloatOutOfRange =
        Error("DSK0008", "Float literal out of range", "float literal {0} is out of range");

    public static readonly DiagnosticDescriptor NotUtf8 =
        Error("DSK0009", "Not UTF-8 text", "the file is not UTF-8 text (invalid byte 0x{0:X2} at offset {1})");

    public static readonly DiagnosticDescriptor MisplacedPack =
        Error("DSK0010", "Misplaced variadic dimension", "the variadic dimension *{0} must be the first dimension of the shape");

    public static readonly DiagnosticDescriptor ExpressionTooDeep =
        Error("DSK0011", "Expression too deep", "expression nests more than {0} levels deep");

    public static readonly DiagnosticDescriptor InvalidSyntax =
        Error("DSK0013", "Invalid syntax", "{0}");

    // ---------------------------------------------------------------- DSK1xxx imports, names and binding

    public static readonly DiagnosticDescriptor ImportNotFound =
        Error("DSK1101", "Imported file not found", "cannot find imported file '{0}' (looked for {1})");

    public static readonly DiagnosticDescriptor ImportOutsideRoot =
        Error("DSK1102", "Import leaves the root folder", "import '{0}' leaves the root folder '{1}' of the compilation (--root sets it)");

    public static readonly DiagnosticDescriptor ImportCycle =
        Error("DSK1103", "Import cycle", "import cycle: {0}");

    public static readonly DiagnosticDescriptor ImportUnreadable =
        Error("DSK1104", "Imported file cannot be read", "cannot read imported file '{0}': {1}");

    public static readonly DiagnosticDescriptor ImportNotDsk =
        Error("DSK1105", "Import of a non-.dsk file", "import '{0}' does not name a .dsk file");

    public static readonly DiagnosticDescriptor DuplicateImport =
        Warning("DSK1106", "Duplicate import", "'{0}' is already imported by this file");

    // ---------------------------------------------------------------- DSK9xxx internal

    public static readonly DiagnosticDescriptor InternalError =
        Error("DSK9999", "Internal compiler error", "internal compiler error: {0}");
}
