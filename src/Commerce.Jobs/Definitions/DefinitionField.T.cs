using System.Globalization;

namespace Commerce.Jobs.Definitions;

/// <summary>
/// One setting of <typeparamref name="TOptions"/> that can change at run time: its name (also its configuration key
/// and its operator-state field), and how it is read from and written to the options as text. Job settings are listed in
/// <see cref="DefinitionField.All"/>, a delivery target's health settings in <see cref="TargetDefinitionField.All"/>.
/// </summary>
/// <typeparam name="TOptions">The options the setting belongs to.</typeparam>
internal sealed class DefinitionField<TOptions>
{
    private readonly string _owner;
    private readonly Func<TOptions, string?> _read;
    private readonly Action<TOptions, string> _write;

    private DefinitionField(string owner, string name, Func<TOptions, string?> read, Action<TOptions, string> write)
    {
        _owner = owner;
        Name = name;
        _read = read;
        _write = write;
    }

    public string Name { get; }

    /// <summary>Finds a field of <paramref name="fields"/> by name (ignoring case); <see langword="null"/> when there is none.</summary>
    public static DefinitionField<TOptions>? Find(IReadOnlyList<DefinitionField<TOptions>> fields, string name)
        => fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The field's value in <paramref name="options"/> as text; <see langword="null"/> for an optional setting not set.</summary>
    public string? Read(TOptions options) => _read(options);

    /// <summary>Sets the field in <paramref name="options"/> from text (empty: none, for an optional setting).</summary>
    /// <exception cref="FormatException">The text is not a value of the field's kind; the message names the owner (job, target) and the field.</exception>
    public void Write(TOptions options, string value, string ownerName)
    {
        try
        {
            _write(options, value);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{_owner} '{ownerName}': {Name} '{DefinitionField.Shown(value)}' {ex.Message}", ex);
        }
    }

    /// <summary>A <c>true</c> / <c>false</c> setting; <paramref name="owner"/> says what owns it in messages (<c>Job</c>, <c>Target</c>).</summary>
    public static DefinitionField<TOptions> Flag(string owner, string name, Func<TOptions, bool> get, Action<TOptions, bool> set) => new(
        owner,
        name,
        o => get(o) ? "true" : "false",
        (o, v) => set(o, bool.TryParse(v.Trim(), out var flag) ? flag : throw new FormatException("is not true or false.")));

    /// <summary>A whole-number setting.</summary>
    public static DefinitionField<TOptions> Number(string owner, string name, Func<TOptions, int> get, Action<TOptions, int> set) => new(
        owner,
        name,
        o => get(o).ToString(CultureInfo.InvariantCulture),
        (o, v) => set(o, int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : throw new FormatException("is not a whole number.")));

    /// <summary>A decimal setting, written with a '.' (<c>0.25</c>), as configuration binds it.</summary>
    public static DefinitionField<TOptions> Real(string owner, string name, Func<TOptions, double> get, Action<TOptions, double> set) => new(
        owner,
        name,
        o => get(o).ToString("R", CultureInfo.InvariantCulture),
        (o, v) => set(o, double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : throw new FormatException("is not a number (0.25).")));

    /// <summary>A time-span setting.</summary>
    public static DefinitionField<TOptions> Span(string owner, string name, Func<TOptions, TimeSpan> get, Action<TOptions, TimeSpan> set) => new(
        owner,
        name,
        o => get(o).ToString("c", CultureInfo.InvariantCulture),
        (o, v) => set(o, ParseSpan(v)));

    /// <summary>An optional time-span setting (empty: none).</summary>
    public static DefinitionField<TOptions> OptionalSpan(string owner, string name, Func<TOptions, TimeSpan?> get, Action<TOptions, TimeSpan?> set) => new(
        owner,
        name,
        o => get(o)?.ToString("c", CultureInfo.InvariantCulture),
        (o, v) => set(o, string.IsNullOrWhiteSpace(v) ? null : ParseSpan(v)));

    /// <summary>An optional text setting (empty: none).</summary>
    public static DefinitionField<TOptions> Text(string owner, string name, Func<TOptions, string?> get, Action<TOptions, string?> set) => new(
        owner,
        name,
        o => string.IsNullOrWhiteSpace(get(o)) ? null : get(o),
        (o, v) => set(o, string.IsNullOrWhiteSpace(v) ? null : v.Trim()));

    private static TimeSpan ParseSpan(string value)
        => TimeSpan.TryParse(value.Trim(), CultureInfo.InvariantCulture, out var span) ? span : throw new FormatException("is not a time span ([d.]hh:mm:ss).");
}
