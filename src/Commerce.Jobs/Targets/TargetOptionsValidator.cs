using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Targets;

/// <summary>Checks a target's options when it is first used; messages name the target and the setting.</summary>
internal sealed class TargetOptionsValidator : IValidateOptions<TargetOptions>
{
    public ValidateOptionsResult Validate(string? name, TargetOptions options)
    {
        var errors = new List<string>();
        if (options.MaxConcurrency is < 1 or > 1000)
        {
            errors.Add($"Target '{name}': MaxConcurrency must be between 1 and 1000 (was {options.MaxConcurrency}).");
        }

        if (options.FailureRatio is < 0.01 or > 1)
        {
            errors.Add($"Target '{name}': FailureRatio must be between 0.01 and 1 (was {options.FailureRatio}).");
        }

        if (options.SamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            errors.Add($"Target '{name}': SamplingDuration must be at least 00:00:00.5 (was {options.SamplingDuration}).");
        }

        if (options.MinimumThroughput < 2)
        {
            errors.Add($"Target '{name}': MinimumThroughput must be at least 2 (was {options.MinimumThroughput}).");
        }

        if (options.BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            errors.Add($"Target '{name}': BreakDuration must be at least 00:00:00.5 (was {options.BreakDuration}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
