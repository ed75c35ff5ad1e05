namespace TokenAccounting;

/// <summary>The kinds of <see cref="NameMatch"/> rule (the clauses of the genai-prices data).</summary>
public enum NameMatchKind
{
    /// <summary>The whole name, ignoring case (<c>equals</c>).</summary>
    EqualTo,

    /// <summary>A prefix, ignoring case (<c>starts_with</c>).</summary>
    StartsWith,

    /// <summary>A suffix, ignoring case (<c>ends_with</c>).</summary>
    EndsWith,

    /// <summary>A substring, ignoring case (<c>contains</c>).</summary>
    Contains,

    /// <summary>A regular expression searched in the name (<c>regex</c>).</summary>
    Regex,

    /// <summary>Any of the clauses (<c>or</c>).</summary>
    Or,

    /// <summary>All of the clauses (<c>and</c>).</summary>
    And,
}
