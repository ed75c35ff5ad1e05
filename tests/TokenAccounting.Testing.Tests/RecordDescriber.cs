using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace TokenAccounting.Testing.Tests;

/// <summary>
/// Describes a record field by field through reflection, so a property added to <see cref="UsageRecord"/> later is
/// compared too; dictionaries are listed in key order so two equal tag sets describe alike.
/// </summary>
internal static class RecordDescriber
{
    public static string Describe(UsageRecord record, bool includeId = false)
    {
        var builder = new StringBuilder();
        foreach (var property in typeof(UsageRecord).GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (property.Name == nameof(UsageRecord.Id) && !includeId)
            {
                continue;
            }

            builder.Append(property.Name).Append('=');
            Append(builder, property.GetValue(record), depth: 0);
            builder.Append("; ");
        }

        return builder.ToString();
    }

    private static void Append(StringBuilder builder, object? value, int depth)
    {
        switch (value)
        {
            case null:
                builder.Append("null");
                return;
            case string s:
                builder.Append('"').Append(s).Append('"');
                return;
            case IFormattable formattable when value.GetType().IsPrimitive || value is decimal or DateTimeOffset or TimeSpan or Enum:
                builder.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                return;
            case IDictionary dictionary:
                builder.Append('{');
                foreach (var key in dictionary.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal))
                {
                    builder.Append(key).Append(':');
                    Append(builder, dictionary[key], depth + 1);
                    builder.Append(',');
                }

                builder.Append('}');
                return;
        }

        var type = value.GetType();
        if (type.Namespace == "TokenAccounting" && depth < 3)
        {
            builder.Append(type.Name).Append('(');
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                builder.Append(property.Name).Append('=');
                Append(builder, property.GetValue(value), depth + 1);
                builder.Append(',');
            }

            builder.Append(')');
            return;
        }

        builder.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
    }
}
