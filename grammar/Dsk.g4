// The grammar of .dsk files (language.md). The C# parser generated from it is committed under
// compiler/DeepSeek.Lang.Compiler/Syntax/Generated; run grammar/generate.sh after editing this file.
//
// Newlines end statements. Syntax/TokenScanner.cs prepares the tokens the parser reads: it hides the
// NEWLINE tokens that stand inside parentheses or brackets, so the grammar below never sees them
// there, and it puts a zero-width NEWLINE before every '}' and before the end of the file when no
// separator stands there. So every declaration, member, statement and plan entry below is followed
// by a separator, and each list is a loop whose next step one token decides: a syntax error inside
// one element never costs the elements after it (ANTLR resynchronises inside such loops).
grammar Dsk;

// ---------------------------------------------------------------- items

file: (item sep | sep)* EOF;

sep: NEWLINE | SEMI;

item
    : importDecl
    | constDecl
    | moduleDecl
    | modelDecl
    | planDecl
    ;

importDecl: IMPORT STRING;

constDecl: CONST IDENT (COLON typeRef)? ASSIGN expr;

moduleDecl: MODULE IDENT LPAREN paramList? RPAREN LBRACE memberList RBRACE;

paramList: param (COMMA param)* COMMA?;

param: IDENT COLON typeRef (ASSIGN expr)?;

modelDecl: MODEL IDENT ASSIGN expr;

planDecl: PLAN IDENT FOR IDENT LBRACE planEntries RBRACE;

planEntries: (planEntry planSep | planSep)*;

planSep: NEWLINE | SEMI | COMMA;

planEntry
    : IDENT COLON expr                 # planValue
    | IDENT LBRACE planEntries RBRACE  # planBlock
    ;

// ---------------------------------------------------------------- module members

memberList: (member sep | sep)*;

member
    : submoduleDecl
    | tensorDecl
    | constDecl
    | forwardDecl
    | memberIf
    ;

submoduleDecl: IDENT ASSIGN IDENT LPAREN argList? RPAREN (LBRACK expr RBRACK)?;

tensorDecl: (PARAM | BUFFER) IDENT COLON typeRef (ASSIGN expr)?;

forwardDecl: FORWARD LPAREN paramList? RPAREN (ARROW typeRef)? block;

memberIf: IF expr LBRACE memberList RBRACE (NEWLINE* ELSE (memberIf | LBRACE memberList RBRACE))?;

// ---------------------------------------------------------------- types

typeRef
    : IDENT (LBRACK dimList? RBRACK)?                  # namedType
    | LPAREN typeRef (COMMA typeRef)* COMMA? RPAREN    # tupleType
    ;

dimList: dim (COMMA dim)* COMMA?;

dim
    : STAR IDENT   # packDim
    | expr         # exprDim
    ;

// ---------------------------------------------------------------- statements

block: LBRACE stmtList RBRACE;

stmtList: (stmt sep | sep)*;

stmt
    : LET target ASSIGN expr                   # letStmt
    | target ASSIGN expr                       # assignStmt
    | FOR IDENT IN expr (RANGE expr)? block     # forStmt
    | ifStmt                                   # ifStatement
    | ASSERT expr (COMMA expr)?                # assertStmt
    | RETURN expr                              # returnStmt
    | expr                                     # exprStmt
    ;

ifStmt: IF expr block (NEWLINE* ELSE (ifStmt | block))?;

target
    : IDENT                                        # nameTarget
    | LPAREN IDENT (COMMA IDENT)* COMMA? RPAREN    # tupleTarget
    ;

// ---------------------------------------------------------------- expressions
// A parenthesised list is a tuple when it is empty or has a comma: (), (a,), (a, b); else it is (a).
// From tightest to loosest: postfix (call, index, member), **, unary + -, * / % @, + -,
// comparisons, not, and, or. ** is right-associative and binds tighter than a unary minus on
// its left (-x ** 2 is -(x ** 2)), as in Python.

expr
    : expr LPAREN argList? RPAREN                        # callExpr
    | expr LBRACK indexList RBRACK                       # indexExpr
    | expr DOT IDENT                                     # memberExpr
    | <assoc = right> expr POW expr                      # powerExpr
    | op = (MINUS | PLUS) expr                           # unaryExpr
    | expr op = (STAR | SLASH | PERCENT | AT) expr       # mulExpr
    | expr op = (PLUS | MINUS) expr                      # addExpr
    | expr op = (EQ | NE | LT | LE | GT | GE) expr       # compareExpr
    | NOT expr                                           # notExpr
    | expr AND expr                                      # andExpr
    | expr OR expr                                       # orExpr
    | primary                                            # primaryExpr
    ;

primary
    : IDENT                                              # namePrimary
    | INT                                                # intPrimary
    | FLOAT                                              # floatPrimary
    | STRING                                             # stringPrimary
    | (TRUE | FALSE)                                     # boolPrimary
    | NONE                                               # nonePrimary
    | LPAREN (expr (COMMA expr)* COMMA?)? RPAREN         # parenPrimary
    | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK         # listPrimary
    ;

argList: arg (COMMA arg)* COMMA?;

arg: (IDENT COLON)? expr;

indexList: indexItem (COMMA indexItem)* COMMA?;

indexItem
    : ELLIPSIS                                   # ellipsisIndex
    | start = expr? COLON stop = expr? (COLON step = expr?)?  # sliceIndex
    | expr                                       # exprIndex
    ;

// ---------------------------------------------------------------- tokens

IMPORT: 'import';
CONST: 'const';
MODULE: 'module';
MODEL: 'model';
PLAN: 'plan';
PARAM: 'param';
BUFFER: 'buffer';
FORWARD: 'forward';
LET: 'let';
FOR: 'for';
IN: 'in';
IF: 'if';
ELSE: 'else';
ASSERT: 'assert';
RETURN: 'return';
AND: 'and';
OR: 'or';
NOT: 'not';
TRUE: 'true';
FALSE: 'false';
NONE: 'None';

ARROW: '->';
POW: '**';
EQ: '==';
NE: '!=';
LE: '<=';
GE: '>=';
LT: '<';
GT: '>';
ASSIGN: '=';
PLUS: '+';
MINUS: '-';
STAR: '*';
SLASH: '/';
PERCENT: '%';
AT: '@';
LPAREN: '(';
RPAREN: ')';
LBRACK: '[';
RBRACK: ']';
LBRACE: '{';
RBRACE: '}';
COMMA: ',';
COLON: ':';
SEMI: ';';
ELLIPSIS: '...';
RANGE: '..';
DOT: '.';

FLOAT: DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT;
INT: DIGITS;
IDENT: [A-Za-z_] [A-Za-z0-9_]*;
STRING: '"' (~["\\\r\n] | '\\' ~[\r\n])* '"';
UNTERMINATED_STRING: '"' (~["\\\r\n] | '\\' ~[\r\n])*;

NEWLINE: '\r'? '\n' | '\r';
LINE_COMMENT: '//' ~[\r\n]* -> channel(HIDDEN);
BLOCK_COMMENT: '/*' .*? '*/' -> channel(HIDDEN);
// Only a comment with no '*/' in it: the lexer takes the longest match, so '/*' .*? EOF would
// swallow every closed comment and the rest of the file after it.
UNTERMINATED_COMMENT: '/*' (~'*' | '*'+ ~[*/])* '*'* EOF -> channel(HIDDEN);
WS: [ \t\f\u00A0\uFEFF]+ -> skip;
BAD_CHARACTER: .;

fragment DIGITS: [0-9] ('_'? [0-9])*;
fragment EXPONENT: [eE] [+-]? [0-9]+;
