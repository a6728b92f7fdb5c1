using System.Globalization;
using Commerce.Jobs.Tests.Scheduling;
using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Configuration;
using static Commerce.Jobs.Tests.Definitions.JobDefinitionTests;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>One precedence rule, per field: a run-time override over configuration over code, whatever each layer sets.</summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class JobDefinitionPrecedenceTests
{
    private static readonly string[] Fields = [JobDefinitionFields.BatchSize, JobDefinitionFields.MaxArchivedRuns, JobDefinitionFields.MaxConcurrency, JobDefinitionFields.MaxItemsToSkip];

    private static readonly Gen<int?> Maybe = Gen.OneOf(Gen.Constant((int?)null), Gen.Choose(1, 1000).Select(v => (int?)v));

    /// <summary>Per field: the code's value, configuration's (or none) and the override (or none).</summary>
    private static readonly Arbitrary<(int Code, int? Configuration, int? Override)[]> Layers =
        (from code in Gen.Choose(1, 1000)
         from configuration in Maybe
         from overridden in Maybe
         select (code, configuration, overridden)).ArrayOf(Fields.Length).ToArbitrary();

    [Property(MaxTest = 60)]
    public Property Each_field_takes_the_override_else_configuration_else_code_and_says_which() => Prop.ForAll(Layers, layers =>
    {
        var configured = new Dictionary<string, string?>();
        for (var i = 0; i < Fields.Length; i++)
        {
            if (layers[i].Configuration is { } value)
            {
                configured[$"Jobs:export:{Fields[i]}"] = value.ToString(CultureInfo.InvariantCulture);
            }
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(configured).Build();
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.BindConfiguration(configuration);
                jobs.AddJob("export", Ok).Configure(o =>
                {
                    (o.BatchSize, o.MaxArchivedRuns, o.MaxConcurrency, o.MaxItemsToSkip) = (layers[0].Code, layers[1].Code, layers[2].Code, layers[3].Code);
                });
            },
            start: false);
        try
        {
            var overrides = Enumerable.Range(0, Fields.Length).Where(i => layers[i].Override is not null)
                .ToDictionary(i => Fields[i], i => (string?)layers[i].Override!.Value.ToString(CultureInfo.InvariantCulture));
            var definitions = DefinitionsOf(sut);
            if (overrides.Count > 0)
            {
                definitions.UpdateAsync("export", overrides, null, null, default).AsTask().GetAwaiter().GetResult();
            }

            var definition = definitions.Get("export");
            var options = sut.Engine.GetEntry("export").Options;
            int[] inForce = [options.BatchSize, options.MaxArchivedRuns, options.MaxConcurrency, options.MaxItemsToSkip];
            for (var i = 0; i < Fields.Length; i++)
            {
                var (code, fromConfiguration, overridden) = layers[i];
                var expected = overridden ?? fromConfiguration ?? code;
                var source = overridden is not null ? JobDefinitionSource.Override : fromConfiguration is not null ? JobDefinitionSource.Configuration : JobDefinitionSource.Code;
                var field = definition[Fields[i]];
                Assert.Equal((expected.ToString(CultureInfo.InvariantCulture), source), (field.Value, field.Source));
                Assert.Equal((fromConfiguration ?? code).ToString(CultureInfo.InvariantCulture), field.DeclaredValue);
                Assert.Equal(expected, inForce[i]);
            }
        }
        finally
        {
            sut.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    });
}
