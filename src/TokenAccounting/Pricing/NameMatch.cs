using System.Text.RegularExpressions;

namespace TokenAccounting;

/// <summary>
/// A rule that matches model (or provider) names: the match rules of the genai-prices data
/// (<c>equals</c>, <c>starts_with</c>, <c>ends_with</c>, <c>contains</c>, <c>regex</c>, <c>or</c>, <c>and</c>).
/// Text rules compare case-insensitively (ordinal); <see cref="Regex(string)"/> searches the name as given.
/// Immutable and thread-safe.
/// </summary>
/// <example>
/// <code>
/// var match = NameMatch.Or(NameMatch.StartsWith("claude-sonnet-4-5"), NameMatch.StartsWith("claude-sonnet-4.5"));
/// bool hit = match.IsMatch("claude-sonnet-4-5-20250929"); // true
/// </code>
/// </example>
public sealed class NameMatch
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);
    private Regex? _regex;

    private NameMatch(NameMatchKind kind, string? value, NameMatch[] clauses)
    {
        Kind = kind;
        Value = value;
        Clauses = clauses;
        if (kind == NameMatchKind.Regex)
        {
            // Validate now; the interpreter is built again lazily on first use (most rules are never evaluated).
            _ = CreateRegex(value!);
        }
    }

    /// <summary>Gets the kind of rule.</summary>
    public NameMatchKind Kind { get; }

    /// <summary>Gets the text (or pattern) the rule compares with; null for <see cref="NameMatchKind.Or"/> and <see cref="NameMatchKind.And"/>.</summary>
    public string? Value { get; }

    /// <summary>Gets the sub-rules of <see cref="NameMatchKind.Or"/> and <see cref="NameMatchKind.And"/>; empty for the others.</summary>
    public IReadOnlyList<NameMatch> Clauses { get; }

    /// <summary>Creates a rule that matches exactly <paramref name="name"/> (ignoring case).</summary>
    /// <param name="name">The name; not empty.</param>
    /// <returns>The rule.</returns>
    public static NameMatch EqualTo(string name) => Text(NameMatchKind.EqualTo, name, nameof(name));

    /// <summary>Creates a rule that matches names starting with <paramref name="prefix"/> (ignoring case).</summary>
    /// <param name="prefix">The prefix; not empty.</param>
    /// <returns>The rule.</returns>
    public static NameMatch StartsWith(string prefix) => Text(NameMatchKind.StartsWith, prefix, nameof(prefix));

    /// <summary>Creates a rule that matches names ending with <paramref name="suffix"/> (ignoring case).</summary>
    /// <param name="suffix">The suffix; not empty.</param>
    /// <returns>The rule.</returns>
    public static NameMatch EndsWith(string suffix) => Text(NameMatchKind.EndsWith, suffix, nameof(suffix));

    /// <summary>Creates a rule that matches names containing <paramref name="text"/> (ignoring case).</summary>
    /// <param name="text">The text; not empty.</param>
    /// <returns>The rule.</returns>
    public static NameMatch Contains(string text) => Text(NameMatchKind.Contains, text, nameof(text));

    /// <summary>Creates a rule that matches names in which the .NET regular expression <paramref name="pattern"/> finds a match.</summary>
    /// <param name="pattern">The pattern (searched, not anchored, case-sensitive unless it says otherwise).</param>
    /// <returns>The rule.</returns>
    /// <exception cref="ArgumentException">The pattern is empty or not a valid regular expression.</exception>
    public static NameMatch Regex(string pattern) => Text(NameMatchKind.Regex, pattern, nameof(pattern));

    /// <summary>Creates a rule that matches when any of <paramref name="clauses"/> matches.</summary>
    /// <param name="clauses">The sub-rules; at least one.</param>
    /// <returns>The rule.</returns>
    public static NameMatch Or(params NameMatch[] clauses) => Combine(NameMatchKind.Or, clauses);

    /// <summary>Creates a rule that matches when all of <paramref name="clauses"/> match.</summary>
    /// <param name="clauses">The sub-rules; at least one.</param>
    /// <returns>The rule.</returns>
    public static NameMatch And(params NameMatch[] clauses) => Combine(NameMatchKind.And, clauses);

    /// <summary>Tells whether <paramref name="name"/> matches the rule.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when it matches.</returns>
    public bool IsMatch(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        switch (Kind)
        {
            case NameMatchKind.EqualTo:
                return name.Equals(Value, StringComparison.OrdinalIgnoreCase);
            case NameMatchKind.StartsWith:
                return name.StartsWith(Value!, StringComparison.OrdinalIgnoreCase);
            case NameMatchKind.EndsWith:
                return name.EndsWith(Value!, StringComparison.OrdinalIgnoreCase);
            case NameMatchKind.Contains:
                return name.Contains(Value!, StringComparison.OrdinalIgnoreCase);
            case NameMatchKind.Regex:
                try
                {
                    return (_regex ??= CreateRegex(Value!)).IsMatch(name);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }

            case NameMatchKind.Or:
                foreach (var clause in Clauses)
                {
                    if (clause.IsMatch(name))
                    {
                        return true;
                    }
                }

                return false;
            default:
                foreach (var clause in Clauses)
                {
                    if (!clause.IsMatch(name))
                    {
                        return false;
                    }
                }

                return true;
        }
    }

    /// <summary>Collects the names an <see cref="NameMatchKind.EqualTo"/> rule (alone or inside <c>or</c>) accepts.</summary>
    internal void CollectExactNames(List<string> names)
    {
        if (Kind == NameMatchKind.EqualTo)
        {
            names.Add(Value!);
        }
        else if (Kind == NameMatchKind.Or)
        {
            foreach (var clause in Clauses)
            {
                clause.CollectExactNames(names);
            }
        }
    }

    /// <summary>Whether the rule is made only of <see cref="NameMatchKind.EqualTo"/> rules joined by <c>or</c>.</summary>
    internal bool IsOnlyExactNames => Kind == NameMatchKind.EqualTo || (Kind == NameMatchKind.Or && Clauses.All(c => c.IsOnlyExactNames));

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        NameMatchKind.Or or NameMatchKind.And => $"{Kind}({string.Join(", ", Clauses)})",
        _ => $"{Kind}('{Value}')",
    };

    private static NameMatch Text(NameMatchKind kind, string value, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, parameter);
        return new NameMatch(kind, value, []);
    }

    private static NameMatch Combine(NameMatchKind kind, NameMatch[] clauses)
    {
        ArgumentNullException.ThrowIfNull(clauses);
        if (clauses.Length == 0)
        {
            throw new ArgumentException($"An '{kind}' rule needs at least one clause.", nameof(clauses));
        }

        for (var i = 0; i < clauses.Length; i++)
        {
            if (clauses[i] is null)
            {
                throw new ArgumentException($"clauses[{i}] is null.", nameof(clauses));
            }
        }

        return new NameMatch(kind, null, [.. clauses]);
    }

    private static Regex CreateRegex(string pattern)
    {
        try
        {
            // The interpreter (cheap to build), with a timeout so no name can make a lookup slow; a timed-out match is no match.
            return new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"'{pattern}' is not a valid regular expression: {ex.Message}", nameof(pattern), ex);
        }
    }
}
