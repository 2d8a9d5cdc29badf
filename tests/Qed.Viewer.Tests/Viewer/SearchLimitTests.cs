using Qed.Viewer.ReadModel;

namespace Qed.Viewer.Tests.Viewer;

[Collection(ViewerCollection.Name)]
public class SearchLimitTests(ViewerFixture fixture)
{
    [Fact]
    public async Task A_search_past_its_overall_limit_stops_with_a_reason()
    {
        var results = new RunStoreResults(fixture.DbPath) { SearchTimeout = TimeSpan.Zero };
        var search = () => results.ProblemsAsync("run-large", new ProblemQuery(Text: "proof"), CancellationToken.None);
        (await search.Should().ThrowAsync<SearchTimeoutException>()).Which.Message.Should().Contain("ran longer than");
    }

    [Fact]
    public async Task A_catastrophic_pattern_stops_at_the_per_text_limit()
    {
        var results = new RunStoreResults(fixture.DbPath) { RegexMatchTimeout = TimeSpan.FromMilliseconds(50) };
        var search = () => results.ProblemsAsync("run-large", new ProblemQuery(Text: "(a+)+$", Regex: true), CancellationToken.None);
        await search.Should().ThrowAsync<System.Text.RegularExpressions.RegexMatchTimeoutException>();
    }

    [Fact]
    public async Task Plain_search_is_case_insensitive_and_literal()
    {
        var results = new RunStoreResults(fixture.DbPath);
        var page = await results.ProblemsAsync("run-large", new ProblemQuery(Text: "PROOF 7.1:"), CancellationToken.None);
        page.Items.Select(p => p.ProblemId).Should().Equal("L-00007");
        var literal = await results.ProblemsAsync("run-large", new ProblemQuery(Text: "(a+)+$"), CancellationToken.None);
        literal.Total.Should().Be(0, "without regex=1 the text is matched literally");
    }
}
