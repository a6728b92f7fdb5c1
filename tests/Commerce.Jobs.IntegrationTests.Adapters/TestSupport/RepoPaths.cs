namespace Commerce.Jobs.IntegrationTests.Adapters.TestSupport;

internal static class RepoPaths
{
    /// <summary>Gets the repository root: the first folder above the test assembly that holds <c>Commerce.Jobs.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Commerce.Jobs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Commerce.Jobs.sln not found above {AppContext.BaseDirectory}.");
    }
}
