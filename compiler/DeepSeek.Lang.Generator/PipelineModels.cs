namespace DeepSeek.Lang.Generator;

// Values that flow through the incremental pipeline. Each is a record of strings, numbers and
// EquatableArrays: no ISymbol, SyntaxNode or SourceText, so that equal inputs give equal values and
// the steps after them stay cached.

/// <summary>A .dsk AdditionalFile: its path as MSBuild gave it and its text (null when it could not be read).</summary>
internal sealed record DskFile(string Path, string? Text);

/// <summary>The MSBuild properties the generator reads.</summary>
internal sealed record GeneratorOptions(string? RootNamespace, string? DskNamespace, string? ProjectDirectory)
{
    /// <summary>The namespace asked for: DskNamespace, else RootNamespace, else none.</summary>
    public string Namespace => !string.IsNullOrWhiteSpace(DskNamespace) ? DskNamespace!.Trim()
        : !string.IsNullOrWhiteSpace(RootNamespace) ? RootNamespace!.Trim() : "";
}

/// <summary>
/// How a position in a [DskModel] string maps back to the C# file: <see cref="Positions"/>[i] is the
/// position in the C# text of character i of the string's value (one more entry for its end), and
/// <see cref="LineStarts"/> are the C# text's line starts.
/// </summary>
internal sealed record PositionMap(string FilePath, EquatableArray<int> Positions, EquatableArray<int> LineStarts, bool Exact);

/// <summary>A class that carries [DskModel("...")]: where it is and what it asks for.</summary>
internal sealed record EmbeddedRequest(
    string ClassName,
    string Namespace,
    string FilePath,
    string? Source,
    string? ModelName,
    string? Problem,
    LocationInfo ClassLocation,
    PositionMap? Map,
    string? Failure = null);

/// <summary>
/// One compilation the generator runs: an entry source and the files it may import (a superset of what
/// it imports, found by a textual scan), rooted at <see cref="Root"/>.
/// </summary>
internal sealed record DskUnit(
    string EntryPath,
    string? EntryText,
    string Root,
    EquatableArray<DskFile> Files,
    string Namespace,
    EmbeddedRequest? Embedded,
    string? Failure = null);

/// <summary>A location in a .dsk or C# file, as Roslyn wants it (0-based lines and columns).</summary>
internal sealed record LocationInfo(string Path, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public override string ToString() => $"{Path}({StartLine + 1},{StartColumn + 1})";
}

/// <summary>A diagnostic ready to become a Roslyn diagnostic.</summary>
internal sealed record DiagnosticInfo(
    string Code,
    string Title,
    bool IsError,
    string Message,
    LocationInfo? Location,
    EquatableArray<LocationInfo> AdditionalLocations);

/// <summary>An input or an output of a model's forward: its name and its type text (<c>f32[N, 128]</c>).</summary>
internal sealed record TensorInfo(string Name, string Type);

/// <summary>A source text the generated class embeds, with its path relative to the import root.</summary>
internal sealed record EmbeddedSource(string Path, string Text);

/// <summary>What the generated class needs to know about one model.</summary>
internal sealed record ModelInfo(
    string Name,
    string Declaration,
    string DisplayPath,
    LocationInfo Location,
    EquatableArray<TensorInfo> Inputs,
    EquatableArray<TensorInfo> Outputs,
    long ParameterCount,
    int ParameterTensorCount,
    long BufferElementCount,
    bool ParameterNamesEmbedded,
    EquatableArray<string> ParameterNames);

/// <summary>What compiling one unit gave: its models, its diagnostics and the sources to embed.</summary>
internal sealed record UnitResult(
    string Namespace,
    EquatableArray<ModelInfo> Models,
    EquatableArray<DiagnosticInfo> Diagnostics,
    string EntryRelativePath,
    EquatableArray<EmbeddedSource> Sources,
    EmbeddedRequest? Embedded);
