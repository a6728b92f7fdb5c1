namespace Commerce.Jobs.Definitions;

/// <summary>
/// The delivery-target health settings that can change at run time (<see cref="DefinitionField{TOptions}"/> of
/// <see cref="TargetOptions"/>): each named as in <see cref="TargetDefinitionFields"/>, also its configuration key under
/// <c>Targets:{target name}</c> and its operator-state field.
/// </summary>
internal static class TargetDefinitionField
{
    /// <summary>What owns these settings, in messages (as <see cref="Targets.TargetOptionsValidator"/> names it).</summary>
    public const string Target = "Target";

    /// <summary>Gets every field, in the order of <see cref="TargetDefinitionFields.All"/>.</summary>
    public static IReadOnlyList<DefinitionField<TargetOptions>> All { get; } =
    [
        DefinitionField<TargetOptions>.Real(Target, TargetDefinitionFields.FailureRatio, o => o.FailureRatio, (o, v) => o.FailureRatio = v),
        DefinitionField<TargetOptions>.Span(Target, TargetDefinitionFields.SamplingDuration, o => o.SamplingDuration, (o, v) => o.SamplingDuration = v),
        DefinitionField<TargetOptions>.Number(Target, TargetDefinitionFields.MinimumThroughput, o => o.MinimumThroughput, (o, v) => o.MinimumThroughput = v),
        DefinitionField<TargetOptions>.Span(Target, TargetDefinitionFields.BreakDuration, o => o.BreakDuration, (o, v) => o.BreakDuration = v),
    ];

    /// <summary>Copies a target's options: what is in force is never changed in place.</summary>
    public static TargetOptions Clone(TargetOptions source) => new()
    {
        MaxConcurrency = source.MaxConcurrency,
        FailureRatio = source.FailureRatio,
        SamplingDuration = source.SamplingDuration,
        MinimumThroughput = source.MinimumThroughput,
        BreakDuration = source.BreakDuration,
    };
}
