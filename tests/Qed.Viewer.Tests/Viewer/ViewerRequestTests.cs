using System.Net;

namespace Qed.Viewer.Tests.Viewer;

/// <summary>Hostile and odd requests over plain HTTP (no browser): bad parameters are a 400 with a message, pages past
/// the end do not exist, HEAD works, and every response, errors included, carries the security headers.</summary>
[Collection(ViewerCollection.Name)]
public class ViewerRequestTests(ViewerFixture fixture)
{
    private HttpClient Http() => new() { BaseAddress = fixture.Address };

    private static void HasSecurityHeaders(HttpResponseMessage response)
    {
        response.Headers.GetValues("Content-Security-Policy").Single().Should().Be(ViewerApp.ContentSecurityPolicy);
        response.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
        response.Headers.GetValues("X-Frame-Options").Single().Should().Be("DENY");
        response.Headers.GetValues("Referrer-Policy").Single().Should().Be("no-referrer");
    }

    [Theory]
    [InlineData("/runs/run-large?min=NaN", "min")]
    [InlineData("/runs/run-large?max=Infinity", "max")]
    [InlineData("/runs/run-large?min=abc", "min")]
    [InlineData("/runs/run-large?min=150", "min")]
    [InlineData("/runs/run-large?page=abc", "page")]
    [InlineData("/runs/run-large?page=0", "page")]
    [InlineData("/runs/run-large?page=-3", "page")]
    [InlineData("/runs/run-large?page=99999999999", "page")]
    [InlineData("/compare?a=run-base&b=run-nano&page=x", "page")]
    [InlineData("/runs/run-base/steps?sample=", "sample")]
    [InlineData("/runs/run-base?judge=nobody", "judge")]
    [InlineData("/runs/run-base/problems/PB-Basic-001?judge=nobody", "judge")]
    public async Task A_bad_parameter_is_a_400_page_that_names_it(string url, string parameter)
    {
        using var http = Http();
        using var response = await http.GetAsync(url);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        HasSecurityHeaders(response);
        var body = await response.Content.ReadAsStringAsync();
        body.Should().Contain("<h1>Bad request</h1>").And.Contain(parameter);
    }

    [Fact]
    public async Task Pages_past_the_end_do_not_exist_and_the_last_page_is_real()
    {
        using var http = Http();
        var last = await http.GetStringAsync("/runs/run-large?page=3");      // 120 problems, 50 a page
        last.Should().Contain("page 3 of 3").And.Contain("L-00101").And.NotContain("L-00001\"");
        foreach (var page in new[] { "4", "2147483647" })
        {
            using var response = await http.GetAsync($"/runs/run-large?page={page}");
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, $"page {page}");
            HasSecurityHeaders(response);
            var body = await response.Content.ReadAsStringAsync();
            body.Should().Contain($"no page {page}").And.Contain("3 page(s)").And.NotContain("L-00001");
        }
        using var compare = await http.GetAsync("/compare?a=run-base&b=run-nano&page=2147483647");
        compare.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/runs/run-large")]
    [InlineData("/runs/run-large/problems/L-00007")]
    [InlineData("/runs/run-large?judge=gpt-oss-20b")]
    [InlineData("/runs/run-large/problems/L-00007?judge=judge-1")]
    [InlineData("/static/viewer.css")]
    public async Task Head_answers_like_get_without_a_body(string url)
    {
        using var http = Http();
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        head.StatusCode.Should().Be(HttpStatusCode.OK);
        HasSecurityHeaders(head);
        (await head.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
        using var get = await http.GetAsync(url);
        get.Content.Headers.ContentType!.MediaType.Should().Be(head.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Routing_errors_carry_the_security_headers_too()
    {
        using var http = Http();
        using var missing = await http.GetAsync("/no/such/page");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        HasSecurityHeaders(missing);
        using var post = await http.PostAsync("/", new StringContent(""));
        post.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        HasSecurityHeaders(post);
        using var noRun = await http.GetAsync("/runs/nope");
        noRun.StatusCode.Should().Be(HttpStatusCode.NotFound);
        HasSecurityHeaders(noRun);
    }
}
