namespace DeepSeek.Lang.Runtime; internal static class Placeholder {}
