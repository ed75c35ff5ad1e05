namespace TokenAccounting;

internal static class PriceGuard
{
    public static decimal NotNegative(decimal value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a price of zero or more US dollars per million tokens (was {value}).");
        }

        return value;
    }

    public static decimal? NotNegative(decimal? value, string name) => value is { } v ? NotNegative(v, name) : null;
}
