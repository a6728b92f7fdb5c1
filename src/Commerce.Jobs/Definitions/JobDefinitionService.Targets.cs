namespace Commerce.Jobs.Definitions;

/// <summary>The delivery targets' side of <see cref="IJobDefinitions"/>: their health settings, defined by <see cref="TargetDefinitionService"/>.</summary>
internal sealed partial class JobDefinitionService
{
    private readonly TargetDefinitionService _targets;

    /// <inheritdoc />
    public EffectiveJobDefinition GetTarget(string targetName) => _targets.Get(targetName);

    /// <inheritdoc />
    public ValueTask<EffectiveJobDefinition> UpdateTargetAsync(string targetName, IReadOnlyDictionary<string, string?> fields, string? expectedVersion, string? actor, CancellationToken cancellationToken)
        => _targets.UpdateAsync(targetName, fields, expectedVersion, actor, cancellationToken);

    /// <inheritdoc />
    public ValueTask<EffectiveJobDefinition> ResetTargetAsync(string targetName, string? expectedVersion, string? actor, CancellationToken cancellationToken)
        => _targets.ResetAsync(targetName, expectedVersion, actor, cancellationToken);
}
