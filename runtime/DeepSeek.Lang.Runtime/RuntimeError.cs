namespace DeepSeek.Lang.Runtime;

/// <summary>
/// An error a user of the runtime can act on: a wrong input, a corrupt file, an index out of range,
/// a tensor too large to allocate. The message is meant to be printed as it is.
/// </summary>
public sealed class RuntimeError : Exception
{
    public RuntimeError(string message)
        : base(message)
    {
    }

    public RuntimeError(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
