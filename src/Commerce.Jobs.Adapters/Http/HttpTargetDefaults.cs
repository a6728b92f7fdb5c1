namespace Commerce.Jobs.Adapters;

/// <summary>The defaults of <see cref="HttpTargetOptions"/>, in one place.</summary>
internal static class HttpTargetDefaults
{
    public const HttpTargetMode Mode = HttpTargetMode.Batch;

    /// <summary>The shortest signing secret accepted, in characters.</summary>
    public const int MinSecretLength = 16;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
}
