using Commerce.Jobs.Snippets.Adapters;
using Commerce.Jobs.Snippets.Packages;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Snippets;

/// <summary>The README samples that make a whole host pass its start-up validation as written, not only compile.</summary>
public sealed class SnippetHostTests
{
    [Fact]
    public async Task The_engine_readme_host_passes_start_up_validation()
    {
        var builder = WebApplication.CreateSlimBuilder();
        StoresAndTargetsReadmes.Engine(builder);
        await using var app = builder.Build();

        Assert.NotNull(app.Services.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);
    }

    [Fact]
    public async Task The_in_memory_adapters_readme_host_passes_start_up_validation()
    {
        var services = new ServiceCollection().AddLogging();
        AdaptersReadme.InMemory(services);
        await using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);
    }
}
