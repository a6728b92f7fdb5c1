using System.Buffers;

namespace Commerce.Jobs.Runners;

/// <summary>Every job and named target the host registered; filled by the builder, read by the engine.</summary>
internal sealed class JobRegistry
{
    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    private readonly Dictionary<string, JobDefinition> _jobs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Func<IServiceProvider, IDeliveryTarget>> _targets = new(StringComparer.OrdinalIgnoreCase);

    private readonly HashSet<string> _bound = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<JobDefinition> Jobs => _jobs.Values;

    /// <summary>Gets or sets the <c>CommerceJobs</c> configuration section, shared by every <c>AddCommerceJobs</c> call.</summary>
    public Microsoft.Extensions.Configuration.IConfiguration? Configuration { get; set; }

    /// <summary>Returns the jobs whose options are not yet bound to configuration, and marks them bound.</summary>
    public IReadOnlyList<string> TakeUnbound()
    {
        var names = _jobs.Keys.Where(_bound.Add).ToList();
        return names;
    }

    public IReadOnlyDictionary<string, Func<IServiceProvider, IDeliveryTarget>> Targets => _targets;

    public bool Contains(string jobName) => _jobs.ContainsKey(jobName);

    public JobDefinition? Find(string jobName) => _jobs.GetValueOrDefault(jobName);

    public void Add(JobDefinition job)
    {
        ValidateName(job.Name, "job");
        if (!_jobs.TryAdd(job.Name, job))
        {
            throw new ArgumentException($"A job named '{job.Name}' is already registered; job names are unique (case-insensitive).", nameof(job));
        }
    }

    public void AddTarget(string name, Func<IServiceProvider, IDeliveryTarget> factory)
    {
        ValidateName(name, "target");
        if (!_targets.TryAdd(name, factory))
        {
            throw new ArgumentException($"A delivery target named '{name}' is already registered; target names are unique (case-insensitive).", nameof(name));
        }
    }

    /// <summary>
    /// Checks a job, target or entity type name. A valid name is a URL path segment as it is (the dashboard and its API
    /// put names in paths without encoding them): 1 to 100 ASCII letters, digits, '-', '_' or '.', and not '.' or '..'
    /// (which a URL resolves as "this" or "the parent" folder).
    /// </summary>
    internal static void ValidateName(string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 100 || name.AsSpan().IndexOfAnyExcept(NameChars) >= 0)
        {
            throw new ArgumentException($"'{Printable(name)}' is not a valid {what} name: use 1 to 100 letters, digits, '-', '_' or '.'.", nameof(name));
        }

        if (name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a valid {what} name: '.' and '..' are not path segments a URL can address; use letters or digits too.", nameof(name));
        }
    }

    /// <summary>The name as it can be shown in a message: control characters escaped, cut after 100 characters.</summary>
    private static string Printable(string name)
    {
        var shown = name.Length > 100 ? string.Concat(name.AsSpan(0, 100), "…") : name;
        return string.Concat(shown.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
