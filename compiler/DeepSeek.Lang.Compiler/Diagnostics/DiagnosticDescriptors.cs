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

    public static readonly DiagnosticDescriptor UnknownName =
        Error("DSK1001", "Unknown name", "unknown name '{0}'");

    public static readonly DiagnosticDescriptor DuplicateDefinition =
        Error("DSK1002", "Duplicate definition", "{0}");

    public static readonly DiagnosticDescriptor UnknownModule =
        Error("DSK1003", "Unknown module", "unknown module '{0}'");

    public static readonly DiagnosticDescriptor ArgumentCount =
        Error("DSK1004", "Wrong number of arguments", "{0}");

    public static readonly DiagnosticDescriptor UnknownArgumentName =
        Error("DSK1005", "Unknown argument name", "{0}");

    public static readonly DiagnosticDescriptor DuplicateArgument =
        Error("DSK1006", "Argument given twice", "{0}");

    public static readonly DiagnosticDescriptor MissingArgument =
        Error("DSK1007", "Missing argument", "{0}");

    public static readonly DiagnosticDescriptor ModuleRecursion =
        Error("DSK1008", "Recursive modules", "{0}");

    public static readonly DiagnosticDescriptor UnknownType =
        Error("DSK1009", "Unknown type", "{0}");

    public static readonly DiagnosticDescriptor NotCallable =
        Error("DSK1010", "Not callable", "{0}");

    public static readonly DiagnosticDescriptor AssignToUndeclared =
        Error("DSK1011", "Assignment to an undeclared name", "{0}");

    public static readonly DiagnosticDescriptor ConstCycle =
        Error("DSK1012", "Constant depends on itself", "{0}");

    public static readonly DiagnosticDescriptor MultipleForward =
        Error("DSK1013", "More than one forward", "module {0} has more than one forward");

    public static readonly DiagnosticDescriptor NoForward =
        Error("DSK1014", "No forward", "{0}");

    public static readonly DiagnosticDescriptor PositionalAfterNamed =
        Error("DSK1015", "Positional argument after a named one", "positional arguments must come before named ones");

    public static readonly DiagnosticDescriptor NotAModule =
        Error("DSK1016", "Not a module", "{0}");

    public static readonly DiagnosticDescriptor ModuleInForward =
        Error("DSK1017", "Module made inside forward", "{0}");

    public static readonly DiagnosticDescriptor UnknownMember =
        Error("DSK1018", "Unknown member", "{0}");

    public static readonly DiagnosticDescriptor UnknownModel =
        Error("DSK1019", "Unknown model", "{0}");

    public static readonly DiagnosticDescriptor TupleArity =
        Error("DSK1020", "Tuple size mismatch", "{0}");

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

    // ---------------------------------------------------------------- DSK2xxx types and shapes

    public static readonly DiagnosticDescriptor DTypeMismatch =
        Error("DSK2001", "Dtype mismatch", "{0}");

    public static readonly DiagnosticDescriptor ShapeMismatch =
        Error("DSK2002", "Shape mismatch", "{0}");

    public static readonly DiagnosticDescriptor BroadcastMismatch =
        Error("DSK2003", "Shapes do not broadcast", "cannot {0} {1} and {2}: dimension {3} is {4} on the left and {5} on the right");

    public static readonly DiagnosticDescriptor MatMulMismatch =
        Error("DSK2004", "Matrix product shapes", "cannot multiply {0} by {1}: {2}");

    public static readonly DiagnosticDescriptor ReshapeMismatch =
        Error("DSK2005", "Reshape element count", "cannot reshape {0} to {1}: {2}");

    public static readonly DiagnosticDescriptor AxisOutOfRange =
        Error("DSK2006", "Axis out of range", "{0}");

    public static readonly DiagnosticDescriptor ArgumentTypeMismatch =
        Error("DSK2007", "Argument type mismatch", "{0}");

    public static readonly DiagnosticDescriptor NotDivisible =
        Error("DSK2008", "Dimension not divisible", "{0}");

    public static readonly DiagnosticDescriptor NonPositiveDimension =
        Error("DSK2009", "Dimension not positive", "{0}");

    public static readonly DiagnosticDescriptor TensorCondition =
        Error("DSK2010", "Condition depends on tensor values", "{0}");

    public static readonly DiagnosticDescriptor IndexNotInteger =
        Error("DSK2011", "Index must be an integer tensor", "{0}");

    public static readonly DiagnosticDescriptor ReturnTypeMismatch =
        Error("DSK2012", "Return type mismatch", "{0}");

    public static readonly DiagnosticDescriptor RankMismatch =
        Error("DSK2013", "Wrong rank", "{0}");

    public static readonly DiagnosticDescriptor ValueKindMismatch =
        Error("DSK2014", "Wrong kind of value", "{0}");

    public static readonly DiagnosticDescriptor SizeTooLarge =
        Error("DSK2015", "Size too large", "{0}");

    public static readonly DiagnosticDescriptor AssertionFailed =
        Error("DSK2016", "Assertion failed", "assertion failed: {0}");

    public static readonly DiagnosticDescriptor InvalidArgumentValue =
        Error("DSK2017", "Invalid argument value", "{0}");

    // ---------------------------------------------------------------- DSK4xxx lowering and code generation

    public static readonly DiagnosticDescriptor InvalidDimBinding =
        Error("DSK4001", "Invalid dimension binding", "{0}");

    public static readonly DiagnosticDescriptor NonPositiveShape =
        Error("DSK4002", "Binding makes a shape non-positive", "{0}");

    public static readonly DiagnosticDescriptor UnknownEmitKind =
        Error("DSK4003", "Unknown output kind", "{0}");

    // DSK41xx: ONNX export (CodeGen/Onnx).

    public static readonly DiagnosticDescriptor OnnxUnsupportedOp =
        Error("DSK4101", "Operation cannot be exported to ONNX", "cannot export {0} to ONNX: {1}");

    public static readonly DiagnosticDescriptor OnnxUnboundDimension =
        Error("DSK4102", "Dimension cannot be computed in ONNX", "cannot export model {0} to ONNX: {1}");

    public static readonly DiagnosticDescriptor OnnxModelTooLarge =
        Error("DSK4103", "ONNX model too large", "cannot export model {0} to ONNX: {1}");

    public static readonly DiagnosticDescriptor OnnxWeightData =
        Error("DSK4104", "Weight data does not fit the model", "cannot export model {0} to ONNX: {1}");

    // ---------------------------------------------------------------- DSK42xx the C# source generator

    public static readonly DiagnosticDescriptor DuplicateModelClass =
        Error("DSK4201", "Duplicate generated class", "model '{0}' would generate class {1}, which model '{2}' at {3} generates already; give one of them another name");

    public static readonly DiagnosticDescriptor EmbeddedModelNotFound =
        Error("DSK4202", "Embedded model not found", "[DskModel] on class {0}: {1}");

    public static readonly DiagnosticDescriptor InvalidEmbeddedModelClass =
        Error("DSK4203", "Invalid [DskModel] class", "[DskModel] class {0}: {1}");

    public static readonly DiagnosticDescriptor InvalidNamespace =
        Error("DSK4204", "Invalid namespace for generated models", "'{0}' is not a valid C# namespace for the generated model classes; set DskNamespace to one");

    public static readonly DiagnosticDescriptor UnreadableAdditionalFile =
        Error("DSK4205", "Unreadable .dsk file", "cannot read {0}");
    // ---------------------------------------------------------------- DSK43xx C# kernels (CodeGen/CSharp)

    public static readonly DiagnosticDescriptor CSharpUnsupportedKernel =
        Error("DSK4301", "Kernel cannot be generated as C#", "{0}");

    // ---------------------------------------------------------------- DSK9xxx internal

    public static readonly DiagnosticDescriptor InternalError =
        Error("DSK9999", "Internal compiler error", "internal compiler error: {0}");
}
