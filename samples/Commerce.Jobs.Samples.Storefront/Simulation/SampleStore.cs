namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>The job store the sample runs on.</summary>
public enum SampleStore
{
    /// <summary>The in-memory store: everything lives as long as the process.</summary>
    Memory,

    /// <summary>The SQLite store, a file in the working directory: the order inbox survives a crash.</summary>
    Sqlite,
}
