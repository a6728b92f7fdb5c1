using System.Threading.Channels;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using static Commerce.Jobs.Tests.Definitions.JobDefinitionTests;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>A real appsettings.json with reload on change: a valid change is in force without a restart, an invalid one is refused and the running definition kept.</summary>
public sealed class JobDefinitionReloadTests
{
    [Fact]
    public async Task A_valid_reload_is_applied_an_invalid_one_refused_and_an_override_stays()
    {
        var folder = Directory.CreateTempSubdirectory("commerce-jobs-reload-");
        try
        {
            var path = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(path, Settings(batchSize: 50, maxItemsToSkip: 5, interval: "00:10:00"));
            var configuration = new ConfigurationBuilder().SetBasePath(folder.FullName).AddJsonFile("appsettings.json", optional: false, reloadOnChange: true).Build();
            using var disposeConfiguration = (IDisposable)configuration;
            await using var sut = TestEngine.Create(jobs =>
            {
                jobs.BindConfiguration(configuration.GetSection("CommerceJobs"));
                jobs.AddRecordJob<Order>("export").ReadFrom(new Cart()).DeliverTo(new ScriptedErp());
            });
            var definitions = DefinitionsOf(sut);
            var reloads = Channel.CreateUnbounded<bool>();
            definitions.ConfigurationApplied += (job, accepted) => reloads.Writer.TryWrite(accepted);
            Assert.Equal(("50", JobDefinitionSource.Configuration), (definitions.Get("export")[JobDefinitionFields.BatchSize].Value, definitions.Get("export")[JobDefinitionFields.BatchSize].Source));
            await definitions.UpdateAsync("export", Set(JobDefinitionFields.MaxItemsToSkip, "9"), null, null, default);

            await File.WriteAllTextAsync(path, Settings(batchSize: 200, maxItemsToSkip: 7, interval: "00:02:00"));
            await Until(reloads, accepted: true, () => sut.Engine.GetEntry("export").Options.BatchSize == 200);

            var reloaded = definitions.Get("export");
            Assert.Equal(("200", JobDefinitionSource.Configuration), (reloaded[JobDefinitionFields.BatchSize].Value, reloaded[JobDefinitionFields.BatchSize].Source));
            Assert.Equal(("9", JobDefinitionSource.Override, "7"), (reloaded[JobDefinitionFields.MaxItemsToSkip].Value, reloaded[JobDefinitionFields.MaxItemsToSkip].Source, reloaded[JobDefinitionFields.MaxItemsToSkip].DeclaredValue));
            await sut.Observer.WaitForAsync(() => sut.Engine.GetStatus("export").NextFireTime == TestEngine.Start.AddMinutes(2));

            await File.WriteAllTextAsync(path, Settings(batchSize: 0, maxItemsToSkip: 7, interval: "00:02:00"));
            await Until(reloads, accepted: false, () => true);

            Assert.Equal(200, sut.Engine.GetEntry("export").Options.BatchSize);
            Assert.Equal(reloaded, definitions.Get("export"), DefinitionComparer.Instance);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Settings(int batchSize, int maxItemsToSkip, string interval) =>
        $$"""{ "CommerceJobs": { "Jobs": { "export": { "BatchSize": {{batchSize}}, "MaxItemsToSkip": {{maxItemsToSkip}}, "Interval": "{{interval}}" } } } }""";

    /// <summary>Waits for a reload with that outcome after which <paramref name="condition"/> holds (a file write may be seen as several changes).</summary>
    private static async Task Until(Channel<bool> reloads, bool accepted, Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await reloads.Reader.ReadAsync(patience.Token) != accepted || !condition())
        {
        }
    }
}
