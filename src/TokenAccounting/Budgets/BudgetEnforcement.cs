namespace TokenAccounting;

/// <summary>What happens when a <see cref="BudgetPolicy"/>'s limit would be exceeded.</summary>
public enum BudgetEnforcement
{
    /// <summary>The reservation is denied with a <see cref="BudgetExceededException"/>.</summary>
    Hard = 0,

    /// <summary>Nothing is denied; <see cref="BudgetManager.WarningThresholdCrossed"/> is raised at the warning threshold.</summary>
    Soft = 1,
}
