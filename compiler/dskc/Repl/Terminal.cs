namespace DeepSeek.Lang.Cli.Repl;

/// <summary>What the line editor needs of a terminal: keys in, text out, a width. Tests pass scripted keys.</summary>
internal interface ITerminal
{
    /// <summary>The next key, not echoed; Ctrl+C comes as a key.</summary>
    ConsoleKeyInfo ReadKey();

    void Write(string text);

    /// <summary>Columns.</summary>
    int Width { get; }
}

/// <summary>The process's console.</summary>
internal sealed class SystemTerminal : ITerminal
{
    public ConsoleKeyInfo ReadKey()
    {
        // Ctrl+C is a key while a line is edited, and SIGINT (which cancels a running statement) otherwise.
        Console.TreatControlCAsInput = true;
        try
        {
            return Console.ReadKey(intercept: true);
        }
        finally
        {
            Console.TreatControlCAsInput = false;
        }
    }

    public void Write(string text)
    {
        Console.Out.Write(text);
        Console.Out.Flush();
    }

    public int Width
    {
        get
        {
            try
            {
                int w = Console.WindowWidth;
                return w > 0 ? w : 80;
            }
            catch (IOException)
            {
                return 80;
            }
        }
    }
}
