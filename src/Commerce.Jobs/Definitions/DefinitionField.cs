using System.Globalization;

namespace Commerce.Jobs.Definitions;

/// <summary>
/// One job setting that can change at run time: its name (<see cref="JobDefinitionFields"/>, also its configuration key
/// under <c>Jobs:{job name}</c> and its operator-state field), and how it is read from and written to <see cref="JobOptions"/> as text.
/// </summary>
internal sealed class DefinitionField
{
    private readonly Func<JobOptions, string?> _read;
    private readonly Action<JobOptions, string> _write;

    private DefinitionField(string name, Func<JobOptions, string?> read, Action<JobOptions, string> write)
    {
        Name = name;
        _read = read;
        _write = write;
    }

    /// <summary>The longest value a message or a log line repeats.</summary>
    private const int MaxShownLength = 200;

    /// <summary>Gets every field, in the order of <see cref="JobDefinitionFields.All"/>.</summary>
    public static IReadOnlyList<DefinitionField> All { get; } =
    [
        Flag(JobDefinitionFields.RunOnSchedule, o => o.RunOnSchedule, (o, v) => o.RunOnSchedule = v),
        OptionalSpan(JobDefinitionFields.Interval, o => o.Interval, (o, v) => o.Interval = v),
        Text(JobDefinitionFields.DailyAt, o => o.DailyAt, (o, v) => o.DailyAt = v),
        Text(JobDefinitionFields.TimeZone, o => o.TimeZone, (o, v) => o.TimeZone = v),
        Text(JobDefinitionFields.Cron, o => o.Cron, (o, v) => o.Cron = v),
        Number(JobDefinitionFields.CleanupRunsPerDay, o => o.CleanupRunsPerDay, (o, v) => o.CleanupRunsPerDay = v),
        Number(JobDefinitionFields.BatchSize, o => o.BatchSize, (o, v) => o.BatchSize = v),
        OptionalSpan(JobDefinitionFields.MaxAge, o => o.MaxAge, (o, v) => o.MaxAge = v),
        Number(JobDefinitionFields.RetryWindowMaxRetries, o => o.RetryWindow.MaxRetries, (o, v) => o.RetryWindow.MaxRetries = v),
        Span(JobDefinitionFields.RetryWindowWindow, o => o.RetryWindow.Window, (o, v) => o.RetryWindow.Window = v),
        Number(JobDefinitionFields.MaxItemsToSkip, o => o.MaxItemsToSkip, (o, v) => o.MaxItemsToSkip = v),
        Flag(JobDefinitionFields.UpdateStatus, o => o.UpdateStatus, (o, v) => o.UpdateStatus = v),
        Flag(JobDefinitionFields.NotifyOnFailure, o => o.NotifyOnFailure, (o, v) => o.NotifyOnFailure = v),
        Number(JobDefinitionFields.MaxArchivedRuns, o => o.MaxArchivedRuns, (o, v) => o.MaxArchivedRuns = v),
        Span(JobDefinitionFields.HistoryRetention, o => o.HistoryRetention, (o, v) => o.HistoryRetention = v),
        Number(JobDefinitionFields.MaxConcurrency, o => o.MaxConcurrency, (o, v) => o.MaxConcurrency = v),
    ];

    /// <summary>Gets the fields of a schedule: a change of one plans the job's next fire again.</summary>
    public static IReadOnlySet<string> ScheduleFields { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        JobDefinitionFields.RunOnSchedule, JobDefinitionFields.Interval, JobDefinitionFields.DailyAt, JobDefinitionFields.TimeZone,
        JobDefinitionFields.Cron, JobDefinitionFields.CleanupRunsPerDay,
    };

    public string Name { get; }

    /// <summary>Finds a field by name (ignoring case); <see langword="null"/> when there is none.</summary>
    public static DefinitionField? Find(string name) => All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The field's value in <paramref name="options"/> as text; <see langword="null"/> for an optional setting not set.</summary>
    public string? Read(JobOptions options) => _read(options);

    /// <summary>Sets the field in <paramref name="options"/> from text (empty: none, for an optional setting).</summary>
    /// <exception cref="FormatException">The text is not a value of the field's kind; the message names the job and the field.</exception>
    public void Write(JobOptions options, string value, string jobName)
    {
        try
        {
            _write(options, value);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"Job '{jobName}': {Name} '{Shown(value)}' {ex.Message}", ex);
        }
    }

    /// <summary>A value from outside as it may be shown in a message or a log: capped (a hostile one may be huge).</summary>
    public static string Shown(string value) => OutsideText.Cap(value, MaxShownLength);

    private static DefinitionField Flag(string name, Func<JobOptions, bool> get, Action<JobOptions, bool> set) => new(
        name,
        o => get(o) ? "true" : "false",
        (o, v) => set(o, bool.TryParse(v.Trim(), out var flag) ? flag : throw new FormatException("is not true or false.")));

    private static DefinitionField Number(string name, Func<JobOptions, int> get, Action<JobOptions, int> set) => new(
        name,
        o => get(o).ToString(CultureInfo.InvariantCulture),
        (o, v) => set(o, int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : throw new FormatException("is not a whole number.")));

    private static DefinitionField Span(string name, Func<JobOptions, TimeSpan> get, Action<JobOptions, TimeSpan> set) => new(
        name,
        o => get(o).ToString("c", CultureInfo.InvariantCulture),
        (o, v) => set(o, ParseSpan(v)));

    private static DefinitionField OptionalSpan(string name, Func<JobOptions, TimeSpan?> get, Action<JobOptions, TimeSpan?> set) => new(
        name,
        o => get(o)?.ToString("c", CultureInfo.InvariantCulture),
        (o, v) => set(o, string.IsNullOrWhiteSpace(v) ? null : ParseSpan(v)));

    private static DefinitionField Text(string name, Func<JobOptions, string?> get, Action<JobOptions, string?> set) => new(
        name,
        o => string.IsNullOrWhiteSpace(get(o)) ? null : get(o),
        (o, v) => set(o, string.IsNullOrWhiteSpace(v) ? null : v.Trim()));

    private static TimeSpan ParseSpan(string value)
        => TimeSpan.TryParse(value.Trim(), CultureInfo.InvariantCulture, out var span) ? span : throw new FormatException("is not a time span ([d.]hh:mm:ss).");
}
