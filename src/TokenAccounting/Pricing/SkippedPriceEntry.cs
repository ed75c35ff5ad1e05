namespace TokenAccounting;

/// <summary>An entry of a price file (LiteLLM or genai-prices) that the loader could not represent exactly, and so left out.</summary>
/// <param name="Name">The entry's key in the file (genai-prices: <c>provider/model-id</c>).</param>
/// <param name="Reason">Why it was left out, for example <c>unsupported mode 'image_generation'</c>.</param>
public sealed record SkippedPriceEntry(string Name, string Reason);
