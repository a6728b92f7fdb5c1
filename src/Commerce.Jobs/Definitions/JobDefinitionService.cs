using System.Globalization;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Scheduling;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Commerce.Jobs.Definitions;

/// <summary>
/// Run-time job definitions (<see cref="IJobDefinitions"/>): per job, three layers — code, configuration (together: the
/// declared options, as the options factory builds them) and run-time overrides (operator-state kind
/// <see cref="OperatorStateKinds.JobDefinition"/>) — merged per field, override over configuration over code, validated
/// like start-up, and put in force in the engine (<see cref="JobEngine.Redefine"/>). Overrides come from this host's
/// updates, from the store at start and at every refresh (other hosts' changes, the newest winning per field); the
/// declared layer from configuration reloads.
/// </summary>
internal sealed partial class JobDefinitionService : IJobDefinitions, IOperatorStateApplier, IDisposable
{
    /// <summary>The operator-state field that says who made the job's newest change.</summary>
    internal const string ChangedByField = OperatorStateValues.ChangedBy;

    private readonly JobEngine _engine;
    private readonly JobRegistry _registry;
    private readonly IOptionsFactory<JobOptions> _factory;
    private readonly IValidateOptions<JobOptions>[] _validators;
    private readonly CommerceJobsOptions _engineOptions;
    private readonly IOperatorStateStore _store;
    private readonly IOperatorChangeLog _changeLog;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();                         // the layers' state; never held across an await
    private readonly SemaphoreSlim _updates = new(1, 1);          // one update (check, write, apply) at a time
    private readonly Dictionary<string, Layers> _jobs = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _unknownLogged = new(StringComparer.OrdinalIgnoreCase);
    private readonly IDisposable? _reload;

    public JobDefinitionService(
        JobEngine engine,
        JobRegistry registry,
        IOptionsMonitor<JobOptions> declared,
        IOptionsFactory<JobOptions> factory,
        IEnumerable<IValidateOptions<JobOptions>> validators,
        IOptions<CommerceJobsOptions> engineOptions,
        IOperatorStateStore store,
        IOperatorChangeLog changeLog,
        TimeProvider time,
        ILogger<JobDefinitionService> logger,
        TargetDefinitionService targets)
    {
        _targets = targets;
        _engine = engine;
        _registry = registry;
        _factory = factory;
        _validators = [.. validators];
        _engineOptions = engineOptions.Value;
        _store = store;
        _changeLog = changeLog;
        _time = time;
        _logger = logger;
        foreach (var job in registry.Jobs)
        {
            var entry = engine.GetEntry(job.Name);
            _jobs.Add(job.Name, new Layers(entry, job, declared.Get(job.Name), entry.Options) { Configured = ConfiguredFields(job.Name) });
        }

        if (registry.Configuration is { } configuration)
        {
            _reload = ChangeToken.OnChange(configuration.GetReloadToken, ReloadConfiguration);
        }
    }

    /// <summary>Told after each configuration reload was applied to a job (<see langword="true"/>) or refused (<see langword="false"/>); tests wait on it.</summary>
    internal event Action<string, bool>? ConfigurationApplied;

    /// <inheritdoc />
    string IOperatorStateApplier.Kind => OperatorStateKinds.JobDefinition;

    /// <inheritdoc />
    public EffectiveJobDefinition Get(string jobName)
    {
        var layers = Find(jobName);
        lock (_gate)
        {
            return Describe(layers);
        }
    }

    /// <inheritdoc />
    public async ValueTask<EffectiveJobDefinition> UpdateAsync(string jobName, IReadOnlyDictionary<string, string?> fields, string? expectedVersion, string? actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var layers = Find(jobName);
        await _updates.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            OperatorStateField[] written;
            EffectiveJobDefinition before;
            lock (_gate)
            {
                CheckVersion(layers, expectedVersion);
                before = Describe(layers);
                var errors = new List<(string Field, string Message)>();
                var candidate = JobOptionsCopy.Clone(layers.Effective);
                var changes = new List<(DefinitionField<JobOptions> Field, string? Value)>();
                foreach (var (name, value) in fields)
                {
                    if (name is null || DefinitionField.Find(name) is not { } field)
                    {
                        var shown = DefinitionField.Shown(name ?? string.Empty);
                        errors.Add((shown, $"Job '{layers.Entry.Name}': '{shown}' is not a setting that can change at run time; use one of {string.Join(", ", JobDefinitionFields.All)}."));
                        continue;
                    }

                    changes.Add((field, value));
                    try
                    {
                        field.Write(candidate, value ?? field.Read(layers.Declared) ?? string.Empty, layers.Entry.Name);
                    }
                    catch (FormatException ex)
                    {
                        errors.Add((field.Name, ex.Message));
                    }
                }

                if (errors.Count == 0)
                {
                    errors.AddRange(Validate(layers, candidate).Select(message => (FieldOf(layers.Entry.Name, message), message)));
                }

                if (errors.Count > 0)
                {
                    throw Refusal(layers.Entry.Name, errors);
                }

                var at = OperatorStateValues.Stamp(_time.GetUtcNow(), layers.LastChange);
                written = [.. changes.Select(c => new OperatorStateField(c.Field.Name, c.Value, at)), new OperatorStateField(ChangedByField, actor, at)];
            }

            return await WriteAsync(layers, written, "update", before, actor, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _updates.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<EffectiveJobDefinition> ResetAsync(string jobName, string? expectedVersion, string? actor, CancellationToken cancellationToken)
    {
        var layers = Find(jobName);
        await _updates.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            OperatorStateField[] written;
            EffectiveJobDefinition before;
            lock (_gate)
            {
                before = Describe(layers);
                written = layers.PrepareReset(expectedVersion, actor, _time.GetUtcNow());
            }

            return await WriteAsync(layers, written, "reset", before, actor, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _updates.Release();
        }
    }

    /// <summary>Applies the overrides every host stored, before the engine starts, so a restart keeps them; a store that cannot be read is logged.</summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            var entries = await _store.GetAsync(OperatorStateKinds.JobDefinition, cancellationToken).ConfigureAwait(false);
            await ((IOperatorStateApplier)this).ApplyAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            DefinitionLog.NotRestored(_logger, ex);
        }
    }

    /// <inheritdoc />
    Task IOperatorStateApplier.ApplyAsync(IReadOnlyList<OperatorStateEntry> entries, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            if (entry?.Name is not { } name || entry.Fields is not { } fields)
            {
                continue;
            }

            if (!_jobs.TryGetValue(name, out var layers))
            {
                lock (_gate)
                {
                    if (_unknownLogged.Add(name))
                    {
                        DefinitionLog.UnknownJob(_logger, name);
                    }
                }

                continue;
            }

            try
            {
                Merge(layers, fields);
            }
            catch (Exception ex)
            {
                // One job's entry that cannot be put in force keeps what it runs with; the other jobs' entries are applied.
                DefinitionLog.NotApplied(_logger, name, ex);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    void IOperatorStateApplier.Failed(Exception exception) => DefinitionLog.NotRestored(_logger, exception);

    public void Dispose()
    {
        _reload?.Dispose();
        _updates.Dispose();
    }

    /// <summary>
    /// Writes the change to the store, then puts it in force here (through the same merge as other hosts' changes), and
    /// records it in the audit trail: each field whose effective value or source changed, old and new effective values.
    /// </summary>
    private async ValueTask<EffectiveJobDefinition> WriteAsync(Layers layers, OperatorStateField[] fields, string action, EffectiveJobDefinition before, string? actor, CancellationToken cancellationToken)
    {
        await _store.SetAsync(OperatorStateKinds.JobDefinition, layers.Entry.Name, fields, cancellationToken).ConfigureAwait(false);
        Merge(layers, fields);
        DefinitionLog.Changed(_logger, layers.Entry.Name, actor ?? "(unknown)", string.Join(", ", fields.Where(f => f.Name != ChangedByField).Select(f => $"{f.Name}={f.Value ?? "(declared)"}")));
        EffectiveJobDefinition after;
        lock (_gate)
        {
            after = Describe(layers);
        }

        await OperatorChanges.AppendAsync(_changeLog, OperatorChanges.Between(OperatorStateKinds.JobDefinition, layers.Entry.Name, action, fields[0].ChangedAt, actor, before, after), _logger).ConfigureAwait(false);
        return after;
    }

    /// <summary>Takes the stored fields newer than those seen here (the newest change wins per field) and, if any, puts the result in force.</summary>
    private void Merge(Layers layers, IReadOnlyList<OperatorStateField> fields)
    {
        lock (_gate)
        {
            if (layers.Take(fields))
            {
                Apply(layers);
            }
        }
    }

    /// <summary>
    /// Merges the layers into the effective options, override over declared per field; an override that does not parse or
    /// validate over what is in force is ignored with a warning (once per value) and the declared value is used. Under the gate.
    /// </summary>
    private void Apply(Layers layers)
    {
        var (effective, inForce) = layers.Resolve(
            candidate => Validate(layers, candidate),
            (field, shown, error) => DefinitionLog.OverrideIgnored(_logger, layers.Entry.Name, field.Name, shown, error, field.Read(layers.Declared)));

        // A changed interval counts from the moment of the change (the same instant on every host that takes it up).
        if (inForce.Contains(JobDefinitionFields.Interval) && layers.Declared.IntervalAnchor is null)
        {
            effective.IntervalAnchor = layers.Stored[JobDefinitionFields.Interval].ChangedAt;
        }

        Put(layers, effective, inForce);
    }

    /// <summary>Puts merged options in force in the engine when they differ from those in force. Under the gate.</summary>
    private void Put(Layers layers, JobOptions effective, HashSet<string> inForce)
    {
        var before = layers.Effective;
        if (DefinitionField.All.All(f => f.Read(before) == f.Read(effective)) && before.IntervalAnchor == effective.IntervalAnchor)
        {
            layers.InForce = inForce;
            return;
        }

        var scheduleChanged = before.IntervalAnchor != effective.IntervalAnchor
            || DefinitionField.All.Any(f => DefinitionField.ScheduleFields.Contains(f.Name) && f.Read(before) != f.Read(effective));

        // The engine first: settings it cannot put in force (it throws) leave the layers describing what it runs with.
        _engine.Redefine(layers.Entry, effective, scheduleChanged);
        layers.InForce = inForce;
        layers.Effective = effective;
    }

    /// <summary>The configuration changed: each job's declared layer is built again and validated; a job whose new one does not validate keeps what it runs with.</summary>
    private void ReloadConfiguration()
    {
        foreach (var layers in _jobs.Values)
        {
            bool accepted;
            try
            {
                var configured = ConfiguredFields(layers.Entry.Name);
                var declared = _factory.Create(layers.Entry.Name);
                var changed = false;
                lock (_gate)
                {
                    // The same validation as an update (the options factory runs only the validators, not the inbox lease rule).
                    if (Validate(layers, declared) is { Count: > 0 } errors)
                    {
                        throw new OptionsValidationException(layers.Entry.Name, typeof(JobOptions), errors);
                    }

                    // No anchor is stamped here: a reloaded interval keeps the declared grid (code's anchor, or the epoch's),
                    // the same on every host whenever each reloads, so all agree on each fire's occurrence.
                    changed = DefinitionField.All.Any(f => f.Read(declared) != f.Read(layers.Declared));
                    var previous = layers.Declared;
                    layers.Declared = declared;
                    try
                    {
                        Apply(layers);
                    }
                    catch
                    {
                        layers.Declared = previous;
                        throw;
                    }

                    layers.Configured = configured;
                }

                accepted = true;
                if (changed)
                {
                    DefinitionLog.Reloaded(_logger, layers.Entry.Name);
                }
            }
            catch (OptionsValidationException ex)
            {
                accepted = false;
                DefinitionLog.ReloadRefused(_logger, layers.Entry.Name, string.Join(" ", ex.Failures));
            }
            catch (Exception ex)
            {
                accepted = false;
                DefinitionLog.ReloadRefused(_logger, layers.Entry.Name, ex.Message);
            }

            ConfigurationApplied?.Invoke(layers.Entry.Name, accepted);
        }
    }

    /// <summary>The start-up validation over would-be options: every registered validator (the engine's and the host's), and the inbox lease rule.</summary>
    private List<string> Validate(Layers layers, JobOptions candidate)
    {
        var errors = new List<string>();
        foreach (var validator in _validators)
        {
            var result = validator.Validate(layers.Entry.Name, candidate);
            if (result.Failed)
            {
                errors.AddRange(result.Failures ?? [result.FailureMessage]);
            }
        }

        if (layers.Definition.ReadsInbox && candidate.RetryWindow.Window * 2 > _engineOptions.LeaseDuration)
        {
            errors.Add($"Job '{layers.Entry.Name}': RetryWindow.Window ({candidate.RetryWindow.Window}) must be at most half of CommerceJobs:LeaseDuration ({_engineOptions.LeaseDuration}) for a job that reads its inbox.");
        }

        if (errors.Count == 0)
        {
            // The schedule must be able to say its next fire: one that cannot would throw where it is put in force, or at the next start.
            try
            {
                _ = JobSchedule.FromOptions(layers.Entry.Name, candidate).GetNext(_time.GetUtcNow(), _time.LocalTimeZone);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or TimeZoneNotFoundException or OverflowException)
            {
                errors.Add($"Job '{layers.Entry.Name}': the schedule cannot tell its next run ({ex.Message}).");
            }
        }

        return errors;
    }

    /// <summary>The refusal of an update: its messages in order, and keyed by the field each concerns.</summary>
    private static JobDefinitionValidationException Refusal(string jobName, List<(string Field, string Message)> errors)
    {
        var byField = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var group in errors.GroupBy(e => e.Field, StringComparer.Ordinal))
        {
            byField[group.Key] = [.. group.Select(e => e.Message)];
        }

        return new JobDefinitionValidationException(jobName, [.. errors.Select(e => e.Message)], byField);
    }

    /// <summary>
    /// The field a validation message concerns: messages name the job and then the setting (<c>Job 'x': RetryWindow.MaxRetries must …</c>,
    /// the house rule the host's own validators follow too), the setting written with <c>.</c> where the field name has <c>:</c>.
    /// The empty text when the message names no field that can change at run time first (a rule over the schedule as a whole, say).
    /// </summary>
    internal static string FieldOf(string jobName, string message)
    {
        var prefix = $"Job '{jobName}': ";
        if (message is null || !message.StartsWith(prefix, StringComparison.Ordinal))
        {
            return string.Empty;
        }

        var rest = message.AsSpan(prefix.Length);
        var found = string.Empty;
        foreach (var field in JobDefinitionFields.All)
        {
            var setting = field.Replace(':', '.');
            if (setting.Length > found.Length
                && rest.StartsWith(setting, StringComparison.Ordinal)
                && (rest.Length == setting.Length || !(char.IsLetterOrDigit(rest[setting.Length]) || rest[setting.Length] is '.' or '_')))
            {
                found = field;
            }
        }

        return found;
    }

    private static void CheckVersion(Layers layers, string? expectedVersion) => layers.CheckVersion(expectedVersion);

    /// <summary>The effective definition with each field's source, and its version (a hash of what it shows). Under the gate.</summary>
    private static EffectiveJobDefinition Describe(Layers layers) => layers.Describe();

    /// <summary>The fields the configuration sets for a job now (read with its declared layer, so a refused reload changes no source).</summary>
    private HashSet<string> ConfiguredFields(string jobName)
    {
        var section = _registry.Configuration?.GetSection("Jobs").GetSection(jobName);
        return section is null ? [] : [.. DefinitionField.All.Where(f => section.GetSection(f.Name).Value is not null).Select(f => f.Name)];
    }

    private Layers Find(string jobName)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        return _jobs.TryGetValue(jobName, out var layers)
            ? layers
            : throw new ArgumentException($"No job named '{jobName}' is registered.", nameof(jobName));
    }

    /// <summary>One job's layers and what is in force.</summary>
    private sealed class Layers(JobEntry entry, JobDefinition definition, JobOptions declared, JobOptions effective)
        : DefinitionLayers<JobOptions>(entry.Name, DefinitionField.All, JobOptionsCopy.Clone, declared, effective)
    {
        public JobEntry Entry { get; } = entry;

        public JobDefinition Definition { get; } = definition;
    }
}
