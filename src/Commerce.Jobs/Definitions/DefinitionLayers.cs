using System.Security.Cryptography;
using System.Text;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Definitions;

/// <summary>
/// The layers of one run-time definition (a job's, a delivery target's): the declared options (code and configuration,
/// as the options factory builds them), the newest stored override per field, and what is in force; merged per field,
/// override over declared. The owner (<see cref="JobDefinitionService"/>, <see cref="TargetDefinitionService"/>) holds its
/// own gate around every member and puts the result in force.
/// </summary>
/// <typeparam name="TOptions">The options defined.</typeparam>
internal class DefinitionLayers<TOptions>(string name, IReadOnlyList<DefinitionField<TOptions>> fields, Func<TOptions, TOptions> clone, TOptions declared, TOptions effective)
    where TOptions : class
{
    /// <summary>Gets the job's or target's name.</summary>
    public string Name { get; } = name;

    /// <summary>Gets every field that can change at run time.</summary>
    public IReadOnlyList<DefinitionField<TOptions>> Fields { get; } = fields;

    /// <summary>Gets or sets code and configuration merged (the options factory's, validated); replaced on a configuration reload.</summary>
    public TOptions Declared { get; set; } = declared;

    /// <summary>Gets the newest change seen per field, here or in the store (a <see langword="null"/> value: reset to declared).</summary>
    public Dictionary<string, OperatorStateField> Stored { get; } = new(StringComparer.Ordinal);

    public OperatorStateField? ChangedBy { get; set; }

    /// <summary>Gets or sets the options in force.</summary>
    public TOptions Effective { get; set; } = effective;

    /// <summary>Gets or sets the fields the configuration set when <see cref="Declared"/> was taken.</summary>
    public HashSet<string> Configured { get; set; } = [];

    /// <summary>Gets or sets the fields whose override is in force.</summary>
    public HashSet<string> InForce { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Gets the overrides warned about as invalid, each once.</summary>
    public HashSet<(string Field, string Value, DateTimeOffset At)> Warned { get; } = [];

    /// <summary>Gets when the newest change seen here was made: a new one is stamped after it.</summary>
    public DateTimeOffset? LastChange => Stored.Values.Select(f => (DateTimeOffset?)f.ChangedAt).Append(ChangedBy?.ChangedAt).Max();

    /// <summary>A copy of <paramref name="options"/>: what is in force is never changed in place (a run holds the one it started with).</summary>
    public TOptions Clone(TOptions options) => clone(options);

    /// <summary>Takes the stored fields newer than those seen here (the newest change wins per field); <see langword="true"/> when a known field changed.</summary>
    public bool Take(IReadOnlyList<OperatorStateField> stored)
    {
        var changed = false;
        foreach (var field in stored)
        {
            if (field?.Name is not { } fieldName)
            {
                continue;
            }

            if (fieldName == OperatorStateValues.ChangedBy)
            {
                if (!(ChangedBy?.ChangedAt >= field.ChangedAt))
                {
                    ChangedBy = field;
                }

                continue;
            }

            // A field this version does not know (a later version's) is kept in the store and ignored here.
            if (DefinitionField<TOptions>.Find(Fields, fieldName) is { } known && !(Stored.GetValueOrDefault(known.Name)?.ChangedAt >= field.ChangedAt))
            {
                Stored[known.Name] = field;
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>
    /// Merges the layers, override over declared per field: all overrides together first (an update is validated as a
    /// whole: fields valid only together stay together); field by field, over what is in force, only when the whole set
    /// does not parse or validate. An override that does not parse or validate is ignored, <paramref name="warn"/> told
    /// once per value (the field, the value as shown, the error), and the declared value is used.
    /// </summary>
    /// <returns>The merged options and the fields whose override is in them.</returns>
    public (TOptions Options, HashSet<string> InForce) Resolve(Func<TOptions, IReadOnlyCollection<string>> validate, Action<DefinitionField<TOptions>, string, string> warn)
    {
        var (effective, inForce) = ResolveTogether(validate);
        IReadOnlyList<DefinitionField<TOptions>> fieldByField = inForce.Count > 0 ? [] : Fields;
        foreach (var field in fieldByField)
        {
            if (Stored.GetValueOrDefault(field.Name) is not { Value: { } value } stored)
            {
                continue;
            }

            var candidate = clone(effective);
            string? error;
            try
            {
                field.Write(candidate, value, Name);
                var errors = validate(candidate);
                error = errors.Count == 0 ? null : string.Join(" ", errors);
            }
            catch (FormatException ex)
            {
                error = ex.Message;
            }

            if (error is not null)
            {
                var shown = DefinitionField.Shown(value);
                if (Warned.Add((field.Name, shown, stored.ChangedAt)))
                {
                    warn(field, shown, error);
                }

                continue;
            }

            effective = candidate;
            inForce.Add(field.Name);
        }

        return (effective, inForce);
    }

    /// <summary>
    /// Checks an update against the version in force and validates what it would put in force as a whole (a field given
    /// as <see langword="null"/>: its declared value); returns the fields to store, stamped after every change seen here.
    /// </summary>
    /// <param name="fields">The fields to change, by name, with their values as text.</param>
    /// <param name="expectedVersion">The version the update was made against, if any.</param>
    /// <param name="actor">Who makes the change.</param>
    /// <param name="now">The time of the change.</param>
    /// <param name="owner">What owns the fields, in messages (<c>Job</c>, <c>Target</c>).</param>
    /// <param name="validate">The start-up validation over would-be options; its messages name the owner and the setting.</param>
    /// <exception cref="JobDefinitionConflictException">The definition is no longer at <paramref name="expectedVersion"/>.</exception>
    /// <exception cref="JobDefinitionValidationException">A field is unknown or a value invalid.</exception>
    public OperatorStateField[] PrepareUpdate(IReadOnlyDictionary<string, string?> fields, string? expectedVersion, string? actor, DateTimeOffset now, string owner, Func<TOptions, IReadOnlyCollection<string>> validate)
    {
        CheckVersion(expectedVersion);
        var errors = new List<string>();
        var candidate = clone(Effective);
        var changes = new List<(DefinitionField<TOptions> Field, string? Value)>();
        foreach (var (fieldName, value) in fields)
        {
            if (fieldName is null || DefinitionField<TOptions>.Find(Fields, fieldName) is not { } field)
            {
                errors.Add($"{owner} '{Name}': '{DefinitionField.Shown(fieldName ?? string.Empty)}' is not a setting that can change at run time; use one of {string.Join(", ", Fields.Select(f => f.Name))}.");
                continue;
            }

            changes.Add((field, value));
            try
            {
                field.Write(candidate, value ?? field.Read(Declared) ?? string.Empty, Name);
            }
            catch (FormatException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (errors.Count == 0)
        {
            errors.AddRange(validate(candidate));
        }

        if (errors.Count > 0)
        {
            throw new JobDefinitionValidationException(Name, errors);
        }

        var at = OperatorStateValues.Stamp(now, LastChange);
        return [.. changes.Select(c => new OperatorStateField(c.Field.Name, c.Value, at)), new OperatorStateField(OperatorStateValues.ChangedBy, actor, at)];
    }

    /// <summary>Checks a reset against the version in force; returns the fields to store: every one back to declared, stamped after every change seen here.</summary>
    /// <exception cref="JobDefinitionConflictException">The definition is no longer at <paramref name="expectedVersion"/>.</exception>
    public OperatorStateField[] PrepareReset(string? expectedVersion, string? actor, DateTimeOffset now)
    {
        CheckVersion(expectedVersion);
        var at = OperatorStateValues.Stamp(now, LastChange);
        return [.. Fields.Select(f => new OperatorStateField(f.Name, null, at)), new OperatorStateField(OperatorStateValues.ChangedBy, actor, at)];
    }

    /// <summary>Refuses a change asked against another version than the one in force.</summary>
    /// <exception cref="JobDefinitionConflictException">The definition is no longer at <paramref name="expectedVersion"/>.</exception>
    public void CheckVersion(string? expectedVersion)
    {
        if (expectedVersion is not null && Describe().Version is var current && !string.Equals(current, expectedVersion, StringComparison.Ordinal))
        {
            throw new JobDefinitionConflictException(Name, expectedVersion, current);
        }
    }

    /// <summary>The effective definition with each field's source, and its version (a hash of what it shows).</summary>
    public EffectiveJobDefinition Describe()
    {
        var described = new List<JobDefinitionField>(Fields.Count);
        var text = new StringBuilder(Name);
        foreach (var field in Fields)
        {
            var source = InForce.Contains(field.Name) ? JobDefinitionSource.Override
                : Configured.Contains(field.Name) ? JobDefinitionSource.Configuration
                : JobDefinitionSource.Code;
            var value = field.Read(Effective);
            var declaredValue = field.Read(Declared);
            described.Add(new JobDefinitionField(field.Name, value, source, declaredValue));
            text.Append('\n').Append(field.Name).Append('=').Append(value).Append('\u0001').Append(source).Append('\u0001').Append(declaredValue);
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return new EffectiveJobDefinition(Name, Convert.ToHexStringLower(hash.AsSpan(0, 8)), described, ChangedBy?.ChangedAt, ChangedBy?.Value);
    }

    /// <summary>The declared options with every stored override written over them, when they all parse and validate together; otherwise the declared options and no field in force.</summary>
    private (TOptions Options, HashSet<string> InForce) ResolveTogether(Func<TOptions, IReadOnlyCollection<string>> validate)
    {
        var all = clone(Declared);
        var inForce = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var field in Fields)
            {
                if (Stored.GetValueOrDefault(field.Name) is { Value: { } value })
                {
                    field.Write(all, value, Name);
                    inForce.Add(field.Name);
                }
            }
        }
        catch (FormatException)
        {
            return (clone(Declared), new HashSet<string>(StringComparer.Ordinal));
        }

        return inForce.Count > 0 && validate(all).Count == 0
            ? (all, inForce)
            : (clone(Declared), new HashSet<string>(StringComparer.Ordinal));
    }
}
