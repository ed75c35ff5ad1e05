using System.Diagnostics.CodeAnalysis;

namespace TokenAccounting;

/// <summary>
/// The kind of call that consumed tokens. An extensible, string-backed value (like
/// <c>Microsoft.Extensions.AI.ChatRole</c>): use the well-known values or create your own.
/// Values compare case-insensitively.
/// </summary>
public readonly struct UsageOperation : IEquatable<UsageOperation>
{
    private readonly string? _value;

    /// <summary>Creates an operation from its stable name.</summary>
    /// <param name="value">The name, for example <c>"chat"</c>. Must not be null, empty or white space.</param>
    public UsageOperation(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = value;
    }

    /// <summary>Gets a chat (or Responses / Messages) call: <c>"chat"</c>.</summary>
    public static UsageOperation Chat { get; } = new("chat");

    /// <summary>Gets a legacy text-completion call: <c>"text_completion"</c>.</summary>
    public static UsageOperation TextCompletion { get; } = new("text_completion");

    /// <summary>Gets an embeddings call: <c>"embeddings"</c>.</summary>
    public static UsageOperation Embeddings { get; } = new("embeddings");

    /// <summary>Gets a rerank call: <c>"rerank"</c>.</summary>
    public static UsageOperation Rerank { get; } = new("rerank");

    /// <summary>Gets an image-generation call: <c>"image_generation"</c>.</summary>
    public static UsageOperation ImageGeneration { get; } = new("image_generation");

    /// <summary>Gets a text-to-speech call: <c>"speech"</c>.</summary>
    public static UsageOperation Speech { get; } = new("speech");

    /// <summary>Gets a speech-to-text call: <c>"transcription"</c>.</summary>
    public static UsageOperation Transcription { get; } = new("transcription");

    /// <summary>Gets the stable name of the operation; <c>default</c> reads as <c>"chat"</c>.</summary>
    public string Value => _value ?? "chat";

    /// <summary>Compares two operations case-insensitively.</summary>
    public static bool operator ==(UsageOperation left, UsageOperation right) => left.Equals(right);

    /// <summary>Compares two operations case-insensitively.</summary>
    public static bool operator !=(UsageOperation left, UsageOperation right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(UsageOperation other) => string.Equals(Value, other.Value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is UsageOperation other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
