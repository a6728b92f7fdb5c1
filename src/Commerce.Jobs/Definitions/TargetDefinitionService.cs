using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Commerce.Jobs.Definitions;

/// <summary>
/// Run-time delivery-target definitions (<see cref="IJobDefinitions.GetTarget"/>): a target's health settings
/// (<see cref="TargetDefinitionField.All"/>) in the same three layers as a job's — code, configuration
/// (<c>Targets:{target name}</c>) and run-time overrides (operator-state kind <see cref="OperatorStateKinds.TargetDefinition"/>) —
/// merged per field by <see cref="DefinitionLayers{TOptions}"/>, validated by the target validators, and put in force in the
/// target's health monitor (<see cref="TargetHealthRegistry.Reconfigure"/>). Overrides come from this host's updates, from
/// the store at start and at every refresh, the newest winning per field; the declared layer from configuration reloads.
/// </summary>
internal sealed class TargetDefinitionService : IOperatorStateApplier, IDisposable
{
    private readonly JobRegistry _registry;
    private readonly TargetHealthRegistry _health;
    private readonly IOptionsMonitor<TargetOptions> _declared;
    private readonly IOptionsFactory<TargetOptions> _factory;
    private readonly IValidateOptions<TargetOptions>[] _validators;
    private readonly IOperatorStateStore _store;
    private readonly IOperatorChangeLog _changeLog;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();                         // the layers' state; never held across an await
    private readonly SemaphoreSlim _updates = new(1, 1);          // one update (check, write, apply) at a time
    private readonly HashSet<string> _names;                      // every declared target
    private readonly Dictionary<string, DefinitionLayers<TargetOptions>> _targets = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _unknownLogged = new(StringComparer.OrdinalIgnoreCase);
    private readonly IDisposable? _reload;

    public TargetDefinitionService(
        JobRegistry registry,
        TargetHealthRegistry health,
        IOptionsMonitor<TargetOptions> declared,
        IOptionsFactory<TargetOptions> factory,
        IEnumerable<IValidateOptions<TargetOptions>> validators,
        IOperatorStateStore store,
        IOperatorChangeLog changeLog,
        TimeProvider time,
        ILogger<TargetDefinitionService> logger)
    {
        _registry = registry;
        _health = health;
        _declared = declared;
        _factory = factory;
        _validators = [.. validators];
        _store = store;
        _changeLog = changeLog;
        _time = time;
        _logger = logger;

        // The names the start-up check knows targets by: named targets, and the names jobs know their own targets by.
        _names = new HashSet<string>(registry.Targets.Keys.Concat(registry.Jobs.SelectMany(j => j.TargetKeys)), StringComparer.OrdinalIgnoreCase);
        if (registry.Configuration is { } configuration)
        {
            _reload = ChangeToken.OnChange(configuration.GetReloadToken, ReloadConfiguration);
        }
    }

    /// <summary>Told after each configuration reload was applied to a target (<see langword="true"/>) or refused (<see langword="false"/>); tests wait on it.</summary>
    internal event Action<string, bool>? ConfigurationApplied;

    /// <inheritdoc />
    string IOperatorStateApplier.Kind => OperatorStateKinds.TargetDefinition;

    /// <summary>Gets a target's effective health settings.</summary>
    /// <exception cref="ArgumentException">No target of that name is declared.</exception>
    public EffectiveJobDefinition Get(string targetName)
    {
        var layers = Find(targetName);
        lock (_gate)
        {
            return layers.Describe();
        }
    }

    /// <summary>Changes the fields given (a <see langword="null"/> value: back to declared), all or nothing, and puts them in force.</summary>
    public async ValueTask<EffectiveJobDefinition> UpdateAsync(string targetName, IReadOnlyDictionary<string, string?> fields, string? expectedVersion, string? actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var layers = Find(targetName);
        await _updates.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            OperatorStateField[] written;
            EffectiveJobDefinition before;
            lock (_gate)
            {
                before = layers.Describe();
                written = layers.PrepareUpdate(fields, expectedVersion, actor, _time.GetUtcNow(), TargetDefinitionField.Target, c => Validate(layers.Name, c));
            }

            return await WriteAsync(layers, written, "update", before, actor, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _updates.Release();
        }
    }

    /// <summary>Resets every field to its declared value.</summary>
    public async ValueTask<EffectiveJobDefinition> ResetAsync(string targetName, string? expectedVersion, string? actor, CancellationToken cancellationToken)
    {
        var layers = Find(targetName);
        await _updates.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            OperatorStateField[] written;
            EffectiveJobDefinition before;
            lock (_gate)
            {
                before = layers.Describe();
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
            var entries = await _store.GetAsync(OperatorStateKinds.TargetDefinition, cancellationToken).ConfigureAwait(false);
            await ((IOperatorStateApplier)this).ApplyAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            TargetDefinitionLog.NotRestored(_logger, ex);
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

            if (!_names.Contains(name))
            {
                lock (_gate)
                {
                    if (_unknownLogged.Add(name))
                    {
                        TargetDefinitionLog.UnknownTarget(_logger, name);
                    }
                }

                continue;
            }

            try
            {
                Merge(Find(name), fields);
            }
            catch (Exception ex)
            {
                // One target's entry that cannot be put in force keeps what it runs with; the other targets' entries are applied.
                TargetDefinitionLog.NotApplied(_logger, name, ex);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    void IOperatorStateApplier.Failed(Exception exception) => TargetDefinitionLog.NotRestored(_logger, exception);

    public void Dispose()
    {
        _reload?.Dispose();
        _updates.Dispose();
    }

    /// <summary>
    /// Writes the change to the store, then puts it in force here (through the same merge as other hosts' changes), and
    /// records it in the audit trail (kind <see cref="OperatorStateKinds.TargetDefinition"/>): each field whose effective
    /// value or source changed, old and new effective values.
    /// </summary>
    private async ValueTask<EffectiveJobDefinition> WriteAsync(DefinitionLayers<TargetOptions> layers, OperatorStateField[] fields, string action, EffectiveJobDefinition before, string? actor, CancellationToken cancellationToken)
    {
        await _store.SetAsync(OperatorStateKinds.TargetDefinition, layers.Name, fields, cancellationToken).ConfigureAwait(false);
        Merge(layers, fields);
        TargetDefinitionLog.Changed(_logger, layers.Name, actor ?? "(unknown)", string.Join(", ", fields.Where(f => f.Name != OperatorStateValues.ChangedBy).Select(f => $"{f.Name}={f.Value ?? "(declared)"}")));
        EffectiveJobDefinition after;
        lock (_gate)
        {
            after = layers.Describe();
        }

        await OperatorChanges.AppendAsync(_changeLog, OperatorChanges.Between(OperatorStateKinds.TargetDefinition, layers.Name, action, fields[0].ChangedAt, actor, before, after), _logger).ConfigureAwait(false);
        return after;
    }

    /// <summary>Takes the stored fields newer than those seen here (the newest change wins per field) and, if any, puts the result in force.</summary>
    private void Merge(DefinitionLayers<TargetOptions> layers, IReadOnlyList<OperatorStateField> fields)
    {
        lock (_gate)
        {
            if (layers.Take(fields))
            {
                Apply(layers);
            }
        }
    }

    /// <summary>Merges the layers, override over declared per field, and puts the result in force in the target's health monitor. Under the gate.</summary>
    private void Apply(DefinitionLayers<TargetOptions> layers)
    {
        var (effective, inForce) = layers.Resolve(
            candidate => Validate(layers.Name, candidate),
            (field, shown, error) => TargetDefinitionLog.OverrideIgnored(_logger, layers.Name, field.Name, shown, error, field.Read(layers.Declared)));
        if (layers.Fields.Any(f => f.Read(layers.Effective) != f.Read(effective)))
        {
            _health.Reconfigure(layers.Name, effective);
            layers.Effective = effective;
        }

        layers.InForce = inForce;
    }

    /// <summary>The configuration changed: each target's declared layer is built again and validated; a target whose new one does not validate keeps what it runs with.</summary>
    private void ReloadConfiguration()
    {
        foreach (var name in _names)
        {
            bool accepted;
            try
            {
                var layers = Find(name);                          // made from what the monitor runs with, if not yet
                var configured = ConfiguredFields(name);
                var declared = _factory.Create(name);            // validated: a refusal throws OptionsValidationException
                var changed = false;
                lock (_gate)
                {
                    changed = layers.Fields.Any(f => f.Read(declared) != f.Read(layers.Declared));
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
                    TargetDefinitionLog.Reloaded(_logger, name);
                }
            }
            catch (OptionsValidationException ex)
            {
                accepted = false;
                TargetDefinitionLog.ReloadRefused(_logger, name, string.Join(" ", ex.Failures));
            }
            catch (Exception ex)
            {
                accepted = false;
                TargetDefinitionLog.ReloadRefused(_logger, name, ex.Message);
            }

            ConfigurationApplied?.Invoke(name, accepted);
        }
    }

    /// <summary>The target validators over would-be options (the library's and the host's): the messages name the target and the setting.</summary>
    private List<string> Validate(string targetName, TargetOptions candidate)
    {
        var errors = new List<string>();
        foreach (var validator in _validators)
        {
            var result = validator.Validate(targetName, candidate);
            if (result.Failed)
            {
                errors.AddRange(result.Failures ?? [result.FailureMessage]);
            }
        }

        return errors;
    }

    /// <summary>The fields the configuration sets for a target now.</summary>
    private HashSet<string> ConfiguredFields(string targetName)
    {
        var section = _registry.Configuration?.GetSection("Targets").GetSection(targetName);
        return section is null ? [] : [.. TargetDefinitionField.All.Where(f => section.GetSection(f.Name).Value is not null).Select(f => f.Name)];
    }

    /// <summary>A declared target's layers, made on first use from its declared options (validated: an invalid one throws, as at its first delivery).</summary>
    private DefinitionLayers<TargetOptions> Find(string targetName)
    {
        ArgumentNullException.ThrowIfNull(targetName);
        if (!_names.Contains(targetName))
        {
            throw new ArgumentException($"No delivery target named '{targetName}' is declared.", nameof(targetName));
        }

        lock (_gate)
        {
            if (_targets.TryGetValue(targetName, out var layers))
            {
                return layers;
            }
        }

        // Named options match their name exactly: read them by the name the target was declared with, not as asked.
        var name = _names.First(n => string.Equals(n, targetName, StringComparison.OrdinalIgnoreCase));
        var configured = ConfiguredFields(name);
        var declared = _declared.Get(name);
        lock (_gate)
        {
            if (!_targets.TryGetValue(name, out var layers))
            {
                layers = new DefinitionLayers<TargetOptions>(name, TargetDefinitionField.All, TargetDefinitionField.Clone, declared, TargetDefinitionField.Clone(declared)) { Configured = configured };
                _targets.Add(name, layers);
            }

            return layers;
        }
    }
}
