using Kfac.Examples;
using Kfac.Examples.Tabular;

// An MLP classifier on a table of numbers (a CSV with a header row; one column holds the class); the command line and
// the run are in TabularCommand. A user error prints one line "error: ..." and exits with code 2.
return ExampleMain.Invoke(TabularCommand.Create(), args);
