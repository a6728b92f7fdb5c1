using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// The CSV columns of a record type: its public readable instance properties in declaration order, or one column
/// <c>Value</c> for a simple type. Cells are RFC 4180 fields: quoted when they hold the delimiter, a quote or a line break.
/// A text cell that begins with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return gets a leading
/// <c>'</c> (as OWASP recommends against CSV formula injection), so a spreadsheet shows it as text and never runs it;
/// numbers (a negative total) are written as they are.
/// </summary>
internal sealed class CsvLayout
{
    private static readonly ConcurrentDictionary<Type, CsvLayout> Layouts = new();

    private readonly PropertyInfo[]? _properties;

    private CsvLayout(Type type)
    {
        if (IsSimple(type))
        {
            Headers = ["Value"];
            return;
        }

        _properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(static p => p.CanRead && p.GetMethod!.IsPublic && p.GetIndexParameters().Length == 0)
            .OrderBy(static p => p.MetadataToken)
            .ToArray();
        Headers = _properties.Select(static p => p.Name).ToArray();
    }

    public string[] Headers { get; }

    public static CsvLayout For(Type type) => Layouts.GetOrAdd(type, static t => new CsvLayout(t));

    /// <summary>Appends the header row, CRLF-terminated.</summary>
    public void AppendHeader(StringBuilder row, char delimiter)
    {
        for (var i = 0; i < Headers.Length; i++)
        {
            if (i > 0)
            {
                row.Append(delimiter);
            }

            AppendField(row, Headers[i], delimiter);
        }

        row.Append("\r\n");
    }

    /// <summary>Appends one record's row, CRLF-terminated.</summary>
    public void AppendRow(StringBuilder row, object? record, char delimiter, JsonSerializerOptions json)
    {
        if (_properties is null)
        {
            AppendField(row, Cell(record, json), delimiter);
        }
        else
        {
            for (var i = 0; i < _properties.Length; i++)
            {
                if (i > 0)
                {
                    row.Append(delimiter);
                }

                AppendField(row, record is null ? string.Empty : Cell(_properties[i].GetValue(record, BindingFlags.DoNotWrapExceptions, null, null, CultureInfo.InvariantCulture), json), delimiter);
            }
        }

        row.Append("\r\n");
    }

    /// <summary>Appends a field, quoted (inner quotes doubled) when it holds the delimiter, a quote, CR or LF.</summary>
    internal static void AppendField(StringBuilder row, string value, char delimiter)
    {
        if (value.AsSpan().IndexOfAny(['"', '\r', '\n', delimiter]) < 0)
        {
            row.Append(value);
            return;
        }

        row.Append('"');
        foreach (var c in value)
        {
            row.Append(c);
            if (c == '"')
            {
                row.Append('"');
            }
        }

        row.Append('"');
    }

    /// <summary>Formats a cell, and escapes text a spreadsheet would read as a formula with a leading <c>'</c>.</summary>
    internal static string Cell(object? value, JsonSerializerOptions json)
    {
        var text = Format(value, json);
        var isNumber = value is sbyte or short or int or long or nint or float or double or decimal or Half or Int128 or TimeSpan;
        return !isNumber && text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\'' ? string.Concat("'", text) : text;
    }

    /// <summary>Formats a cell culture-invariantly: ISO 8601 times, enum names, true/false, JSON for anything nested.</summary>
    internal static string Format(object? value, JsonSerializerOptions json) => value switch
    {
        null => string.Empty,
        string text => text,
        bool flag => flag ? "true" : "false",
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("O", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("O", CultureInfo.InvariantCulture),
        Enum member => member.ToString(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(value, value.GetType(), json),
    };

    private static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
            || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly)
            || type == typeof(TimeSpan) || type == typeof(Guid);
    }
}
