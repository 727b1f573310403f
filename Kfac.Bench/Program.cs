namespace Kfac.Bench; internal static class Program { private static int Main(string[] args) { System.Console.WriteLine("bench"); return 0; } }
