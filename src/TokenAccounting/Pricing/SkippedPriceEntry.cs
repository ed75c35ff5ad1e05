namespace TokenAccounting;

/// <summary>An entry of a LiteLLM price file that the loader could not represent exactly, and so left out.</summary>
/// <param name="Name">The entry's key in the file.</param>
/// <param name="Reason">Why it was left out, for example <c>unsupported mode 'image_generation'</c>.</param>
public sealed record SkippedPriceEntry(string Name, string Reason);
