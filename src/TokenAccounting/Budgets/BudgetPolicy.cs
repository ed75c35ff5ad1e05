namespace TokenAccounting;

/// <summary>
/// A spend limit: at most <see cref="Limit"/> (<see cref="Unit"/>) per <see cref="Dimension"/> value per
/// <see cref="Window"/>, either enforced (<see cref="BudgetEnforcement.Hard"/>) or only warned about
/// (<see cref="BudgetEnforcement.Soft"/>).
/// </summary>
/// <example>
/// <code>
/// new BudgetPolicy { Name = "tenant-monthly", Dimension = BudgetDimension.Tenant, Unit = BudgetUnit.Usd, Limit = 100m, Window = BudgetWindow.UtcMonth, WarningThreshold = 0.8 };
/// </code>
/// </example>
public sealed class BudgetPolicy
{
    /// <summary>Gets the unique name of the policy (used as the counter's key in the store). Required.</summary>
    public required string Name { get; init; }

    /// <summary>Gets what the policy is counted per.</summary>
    /// <value>The default value is <see cref="BudgetDimension.Global"/>.</value>
    public BudgetDimension Dimension { get; init; }

    /// <summary>Gets the tag whose values are counted separately; required when <see cref="Dimension"/> is <see cref="BudgetDimension.Tag"/>.</summary>
    public string? TagKey { get; init; }

    /// <summary>
    /// Gets the single dimension value the policy applies to (for example one tenant id), or null to give every value
    /// its own counter. For <see cref="BudgetDimension.Scope"/> it names a scope path and covers its sub-scopes.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DimensionValue { get; init; }

    /// <summary>Gets what is limited.</summary>
    /// <value>The default value is <see cref="BudgetUnit.Tokens"/>.</value>
    public BudgetUnit Unit { get; init; }

    /// <summary>Gets the limit per window, in <see cref="Unit"/>; &gt; 0. Required.</summary>
    public required decimal Limit { get; init; }

    /// <summary>Gets the period the policy counts over.</summary>
    /// <value>The default value is <see cref="BudgetWindow.UtcDay"/>.</value>
    public BudgetWindow Window { get; init; } = BudgetWindow.UtcDay;

    /// <summary>Gets whether the policy denies reservations or only warns.</summary>
    /// <value>The default value is <see cref="BudgetEnforcement.Hard"/>.</value>
    public BudgetEnforcement Enforcement { get; init; }

    /// <summary>
    /// Gets the fraction of <see cref="Limit"/> (in (0, 1]) at which <see cref="BudgetManager.WarningThresholdCrossed"/>
    /// is raised, once per window; null for no warning (soft policies then warn at 1.0).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public double? WarningThreshold { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Limit} {Unit} per {Dimension} per {Window} ({Enforcement})";

    /// <summary>Gets the limit at which to warn, or null.</summary>
    internal decimal? WarningLevel => (WarningThreshold ?? (Enforcement == BudgetEnforcement.Soft ? 1.0 : null)) is { } t ? Limit * (decimal)t : null;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("BudgetPolicy.Name is required and must not be empty.", nameof(Name));
        }

        if (Limit <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"BudgetPolicy '{Name}': Limit must be greater than zero (was {Limit}).");
        }

        if (Dimension == BudgetDimension.Tag && string.IsNullOrWhiteSpace(TagKey))
        {
            throw new ArgumentException($"BudgetPolicy '{Name}': TagKey is required when Dimension is Tag.", nameof(TagKey));
        }

        if (!Enum.IsDefined(Dimension) || !Enum.IsDefined(Unit) || !Enum.IsDefined(Enforcement) || !Enum.IsDefined(Window.Kind))
        {
            throw new ArgumentOutOfRangeException(nameof(Dimension), $"BudgetPolicy '{Name}': Dimension, Unit, Enforcement and Window must be defined values.");
        }

        if (Window.Kind == BudgetWindowKind.Rolling && Window.Duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Window), $"BudgetPolicy '{Name}': a rolling Window needs a positive duration (use BudgetWindow.Rolling).");
        }

        if (WarningThreshold is { } t && (double.IsNaN(t) || t <= 0 || t > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(WarningThreshold), t, $"BudgetPolicy '{Name}': WarningThreshold must be in (0, 1] (was {t}).");
        }
    }

    /// <summary>Finds the counter key of <paramref name="subject"/> under this policy; false when the policy does not apply to it.</summary>
    internal bool TryGetSubjectKey(BudgetSubject subject, out string key)
    {
        string? value = Dimension switch
        {
            BudgetDimension.Global => string.Empty,
            BudgetDimension.User => subject.UserId,
            BudgetDimension.Tenant => subject.TenantId,
            BudgetDimension.ApiKey => subject.ApiKeyId,
            BudgetDimension.Scope => subject.ScopePath,
            BudgetDimension.Tag => subject.Tags is { } tags && tags.TryGetValue(TagKey!, out var tag) ? tag : null,
            _ => null,
        };

        key = string.Empty;
        if (value is null)
        {
            return false;
        }

        if (DimensionValue is null || Dimension == BudgetDimension.Global)
        {
            key = value;
            return true;
        }

        var matches = Dimension == BudgetDimension.Scope
            ? value == DimensionValue || value.StartsWith(DimensionValue + "/", StringComparison.Ordinal)
            : value == DimensionValue;
        key = DimensionValue;
        return matches;
    }
}
