namespace DeepSeek.Lang.Runtime;

/// <summary>
/// Asks the DeepSeek.Lang source generator to give the partial class it is placed on the members of a
/// .dsk model written inline: <c>[DskModel("""model M = ...""")] public partial class M;</c>. The
/// generated members are the same as for a model in a .dsk file: <c>Create</c>, <c>Load</c>,
/// <c>Forward</c>, <c>ParameterCount</c>, <c>ParameterNames</c>, <c>Weights</c> and <c>Dispose</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class DskModelAttribute : Attribute
{
    /// <param name="source">The .dsk source: modules, constants and at least one <c>model</c>. It may import .dsk files of the project.</param>
    public DskModelAttribute(string source)
    {
        Source = source;
    }

    /// <summary>The .dsk source the class is generated from.</summary>
    public string Source { get; }

    /// <summary>
    /// Which model of <see cref="Source"/> the class stands for. Not needed when the source declares one
    /// model, or one model named like the class.
    /// </summary>
    public string? Model { get; set; }
}
